import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRosterDir, parseRosterDate, formatRosterReport, RosterIndex } from '../src';

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');
const KEY = 'test-pseudonym-key-0123456789';

function tempRoster(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'enrich-roster-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('roster dates', () => {
  it.each([
    ['2017-04-05', 'mdy', '2017-04-05'],
    ['2017-05-06 08:01:05', 'dmy', '2017-05-06'],
    ['2023-05-01T18:25:43.511Z', 'mdy', '2023-05-01'],
    ['15/06/2023', 'dmy', '2023-06-15'],
    ['1/05/2023', 'dmy', '2023-05-01'],
    ['1/05/2023', 'mdy', '2023-01-05'],
    ['06/15/2023', 'mdy', '2023-06-15'],
  ] as const)('%s (%s) → %s', (input, order, expected) => expect(parseRosterDate(input, order)).toBe(expected));

  it.each(['2023-02-30', 'yesterday', '2023/05/01', '32/01/2023', '06/15/2023'])(
    '%s is not a date day first',
    (input) => {
      expect(parseRosterDate(input, 'dmy')).toBeNull();
    },
  );
});

describe('OneRoster fixtures', () => {
  it('oat-sa 1.1: vendor ext columns, empty status, two date formats, header-only files', async () => {
    const { data, report } = await loadRosterDir(path.join(fixtures, 'oat-sa-oneroster-import/OneRosterv1p1BaseCSV'));
    expect(report.onerosterVersion).toBe('1.1');
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect([...data.orgs.keys()].sort()).toEqual(['12345', '54321']);
    expect(data.orgs.get('12345')).toMatchObject({
      type: 'school',
      status: 'active',
      parentSourcedId: '54321',
    });
    expect(data.classes.get('class1')).toMatchObject({
      courseSourcedId: null,
      schoolSourcedId: '12345',
      grades: ['02'], // written `2` in the file: stored as its code, as license grade bands are
    });
    expect(data.users.get('user1')).toMatchObject({
      role: 'student',
      username: 'ionut',
      orgSourcedIds: ['12345'],
      status: '',
    });
    expect(data.enrollments.size).toBe(3);
    expect(data.sessions.size).toBe(0);
    expect(data.courses.size).toBe(0);
  });

  it('catalyst 1.1 full: tobedeleted rows are excluded, not errors', async () => {
    const { data, report } = await loadRosterDir(
      path.join(fixtures, 'catalyst-moodle-enrol_oneroster/Test_full_data_set'),
    );
    expect(data.classes.has('cls-222-123478')).toBe(false);
    expect(data.sessions.has('as-grp-222-23456')).toBe(false);
    const classes = report.files.find((f) => f.file === 'classes.csv');
    expect(classes).toMatchObject({
      rows: 2,
      kept: 1,
      excluded: 1,
      rejected: 0,
    });
    expect(data.classes.get('cls-222-123456')?.grades).toEqual(['09', '10', '11']);
    expect(report.missingFiles).toContain('courses.csv');
  });

  it('catalyst 1.2: roles.csv gives the role, trailing empty header columns, DD/MM/YYYY dates', async () => {
    const { data, report } = await loadRosterDir(
      path.join(fixtures, 'catalyst-moodle-enrol_oneroster/v1p2_full_dataset'),
    );
    expect(report.onerosterVersion).toBe('1.2');
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(data.users.size).toBe(6);
    expect(data.users.get('usr-222-123456')?.role).toBe('teacher'); // primary role wins over the secondary guardian role
    expect(data.users.get('usr-222-1234561')?.role).toBe('siteAdministrator');
    expect(data.users.get('usr-222-567891')).toMatchObject({
      role: 'student',
      orgSourcedIds: ['org-sch-222-456'],
    });
    expect(report.files.find((f) => f.file === 'roles.csv')).toMatchObject({
      kept: 7,
      rejected: 0,
    });
  });

  it('catalyst delta bundle is parsed and the delta is reported', async () => {
    const { data, report } = await loadRosterDir(
      path.join(fixtures, 'catalyst-moodle-enrol_oneroster/oneroster_test_data'),
    );
    expect(report.deltaFiles).toContain('users');
    expect(data.users.get('USER_0')).toMatchObject({
      role: 'student',
      username: 'brucewayne',
    });
  });

  it.each(['en', 'ja'])('lepo roster-hub %s: every field quoted, empty status', async (lang) => {
    const { data, report } = await loadRosterDir(path.join(fixtures, 'lepo-roster-hub/sample_csv', lang));
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(data.users.size).toBe(20);
    expect(data.enrollments.size).toBe(30);
    expect(data.classes.get('cl0001')).toMatchObject({
      courseSourcedId: 'co0001',
      schoolSourcedId: 'or0001',
      status: '',
    });
    expect(data.users.get('us0001')?.email).toBe('user01@sample-u.ac.jp');
  });

  it.each(['OneRoster 1.0 Sample Data', 'OneRoster 1.1 Sample Data'])('Ed-Fi Grand Bend %s', async (folder) => {
    const { data, report } = await loadRosterDir(path.join(fixtures, 'edfi-lms-toolkit/sample-in', folder));
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(data.users.size).toBe(10);
    expect(data.users.get('604863')).toMatchObject({
      role: 'student',
      email: 'Mary.Archer@studentgps.org',
      orgSourcedIds: ['255901001'],
    });
    expect(data.classes.get('25590100101Trad120ENG112011')?.termSourcedIds).toHaveLength(2);
    expect(data.orgs.get('255901')?.type).toBe('district');
  });

  it('the index never stores names and finds people by sourcedId, email or username', async () => {
    const { data } = await loadRosterDir(path.join(fixtures, 'edfi-lms-toolkit/sample-in/OneRoster 1.1 Sample Data'));
    expect(JSON.stringify([...data.users.values()])).not.toMatch(/givenName|familyName|middleName|"Mary"/);
    const index = new RosterIndex('d1', 'v1', data, KEY);
    const byId = index.findPerson({ sourced_id: '604863' });
    expect(byId).not.toBeNull();
    expect(index.findPerson({ email: 'mary.archer@STUDENTGPS.org' })).toBe(byId);
    expect(index.findPerson({ username: 'mary archer' })).toBe(byId);
    expect(byId?.orgSchools).toEqual(['255901001']);
    expect(byId?.grade).toBe('09');
  });
});

describe('messy input', () => {
  it('BOM, CRLF, bad rows reported with file, line and field; good rows beside them kept', async () => {
    const dir = tempRoster({
      'orgs.csv':
        '\uFEFFsourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\r\nsch1,active,2024-01-01,School One,school,,\r\nsch2,bogus,,School Two,school,,\r\n',
      'users.csv':
        'sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email\n' +
        'u1,active,,true,sch1,student,amy,,Amy,Pond,,,amy@x.org\n' +
        ',active,,true,sch1,student,nobody,,No,Body,,,no@x.org\n' +
        'u2,,,true,sch1,teacher,"rory, the",,Rory,Williams,,,rory@x.org\n' +
        'u3,active,,true,sch1,student,bad,,Bad,Email,,,not-an-email\n' +
        'u1,active,,true,sch1,student,dup,,Dup,Licate,,,dup@x.org\n',
      'enrollments.csv':
        'sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n' +
        'e1,active,,c1,sch1,u1,student,false,2024-08-15,2025-05-30\n' +
        'e2,active,,c1,sch1,u2,teacher,true,31/02/2024,\n' +
        'e3,active,,c1,sch1,u2,teacher,true,2024-08-15,2024-01-01\n' +
        'e4,active,,c1,sch1,u1,student,false,,,extra,fields\n',
      'classes.csv':
        'sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds\nc1,,,Math 1,05,crs1,,scheduled,,sch1,\n',
      'course_apps.csv': 'courseSourcedId,appId\ncrs1,khan-academy\ncrs1,IXL\n,desmos\n',
      'networks.json': JSON.stringify({
        sch1: ['10.1.0.0/16', '2001:db8::/32', 'nonsense'],
      }),
    });
    const { data, report } = await loadRosterDir(dir);
    const errors = report.issues.filter((i) => i.severity === 'error');
    const where = errors.map((e) => `${e.file}:${e.line ?? '-'}:${e.field ?? '-'}`);
    expect(where).toEqual(
      expect.arrayContaining([
        'orgs.csv:3:status',
        'users.csv:3:sourcedId',
        'users.csv:6:sourcedId',
        'enrollments.csv:3:beginDate',
        'enrollments.csv:4:endDate',
        'enrollments.csv:5:-',
        'course_apps.csv:4:courseSourcedId',
        'networks.json:-:sch1',
      ]),
    );
    expect([...data.orgs.keys()]).toEqual(['sch1']);
    expect([...data.users.keys()]).toEqual(['u1', 'u2', 'u3']); // u3's email "not-an-email" is a warning
    expect(data.users.get('u3')?.email).toBeNull();
    expect(data.users.get('u1')?.username).toBe('amy');
    expect(data.users.get('u2')?.username).toBe('rory, the');
    expect([...data.enrollments.keys()]).toEqual(['e1']);
    expect(data.courseApps.get('crs1')).toEqual(['khan-academy', 'ixl']);
    expect(data.networks.get('sch1')).toEqual(['10.1.0.0/16', '2001:db8::/32']);
    const text = formatRosterReport(report);
    expect(text).toMatch(/users\.csv, line 5, field email/);
  });
});
