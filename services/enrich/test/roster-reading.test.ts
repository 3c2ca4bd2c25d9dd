/**
 * Roster rows that must not be lost or misread: an unclosed quote, slash dates, an email without @,
 * and course_apps ids that events never carry.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AppCatalog,
  importBlockers,
  loadRosterDir,
  loadShippedCatalog,
  type RosterIssue,
  type RosterReport,
} from '../src';
import { readCsvRows } from '../src/roster/csv';

function tempRoster(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'enrich-roster-reading-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const ORGS =
  'sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n' +
  'dist,active,,District,district,,\nschA,active,,School A,school,,dist\nschB,active,,School B,school,,dist\n';
const USERS_HEADER =
  'sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n';
const user = (id: string, given: string, email = `${id}@d.org`) =>
  `${id},active,,true,schA,student,${id}name,,${given},Fam,,,${email},,,,07,\n`;
const COURSES =
  'sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\n' +
  'm7,active,,,Math 7,M7,07,dist,,\n';
const CLASSES =
  'sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n' +
  'cA,active,,Math 7 A,07,m7,,scheduled,,schA,t1,,,\ncB,active,,Math 7 B,07,m7,,scheduled,,schB,t1,,,\n';
const ENROLLMENTS_HEADER =
  'sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n';

/** A OneRoster folder whose enrollments.csv has these begin/end dates, one enrollment each. */
function withEnrollmentDates(dates: [string, string][]): string {
  const rows = dates.map(([begin, end], i) => `e${i + 1},active,,cA,schA,s1,student,false,${begin},${end}\n`);
  return tempRoster({
    'orgs.csv': ORGS,
    'users.csv': USERS_HEADER + user('s1', 'K'),
    'courses.csv': COURSES,
    'classes.csv': CLASSES,
    'enrollments.csv': ENROLLMENTS_HEADER + rows.join(''),
  });
}

const issuesOf = (report: RosterReport, file: string) => report.issues.filter((i) => i.file === file);
const where = (i: RosterIssue) => `${i.severity}:${i.line ?? '-'}:${i.field ?? '-'}`;

async function readAll(text: string) {
  const file = path.join(tempRoster({ 'users.csv': text }), 'users.csv');
  const rows: string[] = [];
  const issues: RosterIssue[] = [];
  for await (const r of readCsvRows(file, 'users.csv', (i) => issues.push(i)))
    rows.push(`${r.values.get('sourcedid')}/${r.values.get('givenname')}/${r.values.get('username')}@${r.line}`);
  return { rows, issues };
}

describe('an unclosed quote rejects its own line only', () => {
  const head = 'sourcedId,givenName,familyName,username\n';

  it('a later quote in the file does not merge the rows between into the broken one', async () => {
    const { rows, issues } = await readAll(
      head + 'u1,A,One,a1\nu2,"Ann,Two,a2\nu3,C,Three,a3\nu4,"Dee",Four,a4\nu5,E,Five,a5\nu6,F,Six,a6\n',
    );
    expect(rows).toEqual(['u1/A/a1@2', 'u3/C/a3@4', 'u4/Dee/a4@5', 'u5/E/a5@6', 'u6/F/a6@7']);
    expect(issues.map(where)).toEqual(['error:3:-']);
    expect(issues[0]?.message).toMatch(/a quote opened on this line is not closed on it/);
  });

  it('with no later quote, the lines after it are still read (not one rejected row at the end)', async () => {
    const { rows, issues } = await readAll(head + 'u1,A,One,a1\nu2,"Ann,Two,a2\nu3,C,Three,a3\nu4,D,Four,a4\n');
    expect(rows).toEqual(['u1/A/a1@2', 'u3/C/a3@4', 'u4/D/a4@5']);
    expect(issues.map(where)).toEqual(['error:3:-']);
  });

  it('quotes closed on their line read as before (escaped, embedded commas, text after a closing quote)', async () => {
    const { rows, issues } = await readAll(
      head.replace('\n', '\r\n') +
        'u1,"Ann ""Nan""",One,a1\r\nu2,"Bob" Jr,Two,a2\r\nu3,Robert "Bob" Smith,Three,"a3, b"\r\nu4,"D ",Four,a4\r\n',
    );
    expect(rows).toEqual(['u1/Ann "Nan"/a1@2', 'u2/"Bob" Jr/a2@3', 'u3/Robert "Bob" Smith/a3, b@4', 'u4/D/a4@5']);
    expect(issues).toEqual([]);
  });

  it('in a roster folder: the other users are kept and the import is not refused for one broken row', async () => {
    const dir = tempRoster({
      'orgs.csv': ORGS,
      'users.csv': USERS_HEADER + user('u1', 'A') + user('u2', '"Ann ""Nan') + user('u3', 'C') + user('u4', '"Dee"'),
    });
    const { data, report } = await loadRosterDir(dir);
    expect([...data.users.keys()]).toEqual(['u1', 'u3', 'u4']);
    expect(data.users.get('u4')?.username).toBe('u4name');
    expect(issuesOf(report, 'users.csv').map(where)).toEqual(['error:3:-']);
    expect(report.files.find((f) => f.file === 'users.csv')).toMatchObject({ rows: 4, kept: 3, rejected: 1 });
    expect(importBlockers(report, false)).toEqual([]);
  });

  it('an unclosed quote in the header refuses the import (no column can be read)', async () => {
    const dir = tempRoster({ 'orgs.csv': ORGS, 'users.csv': 'sourcedId,"givenName,username\nu1,A,a1\n' });
    const { data, report } = await loadRosterDir(dir);
    expect(data.users.size).toBe(0);
    expect(importBlockers(report, true).map((i) => `${i.file}:${i.line}`)).toEqual(['users.csv:1']);
  });
});

describe('slash dates: one order for the whole file', () => {
  it('month first when a value shows it: 9/1/2023 is September 1 because 1/16/2024 is in the file', async () => {
    const dir = withEnrollmentDates([
      ['9/1/2023', '1/16/2024'],
      ['1/16/2024', '6/1/2024'],
    ]);
    const { data, report } = await loadRosterDir(dir);
    expect([...data.enrollments.values()].map((e) => [e.beginDate, e.endDate])).toEqual([
      ['2023-09-01', '2024-01-16'],
      ['2024-01-16', '2024-06-01'],
    ]);
    expect(issuesOf(report, 'enrollments.csv')).toEqual([]);
  });

  it('day first when a value shows it', async () => {
    const { data, report } = await loadRosterDir(
      withEnrollmentDates([
        ['1/09/2023', '1/05/2024'],
        ['15/01/2024', '2024-06-30'],
      ]),
    );
    expect([...data.enrollments.values()].map((e) => [e.beginDate, e.endDate])).toEqual([
      ['2023-09-01', '2024-05-01'],
      ['2024-01-15', '2024-06-30'],
    ]);
    expect(issuesOf(report, 'enrollments.csv')).toEqual([]);
  });

  it('both orders in one file: a file-level error naming the line and field, and the import is refused', async () => {
    const { report } = await loadRosterDir(
      withEnrollmentDates([
        ['8/28/2023', '6/1/2024'],
        ['2023-09-01', '2024-06-01'],
        ['1/2/2024', '16/02/2024'],
      ]),
    );
    const blockers = importBlockers(report, true);
    expect(blockers.map((i) => `${i.file}:${i.line}:${i.field}`)).toEqual(['enrollments.csv:4:endDate']);
    expect(blockers[0]?.message).toMatch(/"16\/02\/2024" can only be day first.*"8\/28\/2023" on line 2/);
  });

  it('nothing shows the order: month first, with one warning for the file', async () => {
    const { data, report } = await loadRosterDir(
      withEnrollmentDates([
        ['9/1/2023', '1/10/2024'],
        ['1/11/2024', '6/1/2024'],
      ]),
    );
    expect([...data.enrollments.values()].map((e) => [e.beginDate, e.endDate])).toEqual([
      ['2023-09-01', '2024-01-10'],
      ['2024-01-11', '2024-06-01'],
    ]);
    const issues = issuesOf(report, 'enrollments.csv');
    expect(issues.map(where)).toEqual(['warning:-:beginDate']);
    expect(issues[0]?.message).toMatch(/order cannot be told: they are read month first/);
  });

  it('ISO dates and SDS slash dates (month first by the format) give no warning', async () => {
    const iso = await loadRosterDir(withEnrollmentDates([['2023-09-01', '2024-01-16 08:00:00']]));
    expect(iso.data.enrollments.get('e1')).toMatchObject({ beginDate: '2023-09-01', endDate: '2024-01-16' });
    expect(issuesOf(iso.report, 'enrollments.csv')).toEqual([]);
    const sds = tempRoster({
      'academicSessions.csv':
        'sourcedId,title,type,schoolYear,startDate,endDate\nt1,Fall,term,2024,9/1/2023,1/10/2024\n',
    });
    const { data, report } = await loadRosterDir(sds, { format: 'sds' });
    // 1/10/2024 is the term's last day in SDS: the model's (exclusive) end is the day after.
    expect(data.sessions.get('t1')).toMatchObject({ startDate: '2023-09-01', endDate: '2024-01-11' });
    expect(issuesOf(report, 'academicSessions.csv')).toEqual([]);
  });
});

describe('an email without @ keeps the user', () => {
  it('OneRoster: the user is kept with email null and a warning; their enrollment resolves', async () => {
    const dir = tempRoster({
      'orgs.csv': ORGS,
      'users.csv': USERS_HEADER + user('s1', 'K', 'none') + user('s2', 'L'),
      'courses.csv': COURSES,
      'classes.csv': CLASSES,
      'enrollments.csv': ENROLLMENTS_HEADER + 'e1,active,,cA,schA,s1,student,false,,\n',
    });
    const { data, report } = await loadRosterDir(dir);
    expect(data.users.get('s1')).toMatchObject({ username: 's1name', email: null });
    const issues = report.issues.filter((i) => i.file === 'users.csv' || i.file === 'enrollments.csv');
    expect(issues.map((i) => `${i.file}:${where(i)}`)).toEqual(['users.csv:warning:2:email']);
    expect(issues[0]?.message).toMatch(/email "none" has no @: the user is kept without an email/);
  });

  it('SDS: likewise', async () => {
    const dir = tempRoster({
      'users.csv': 'sourcedId,username,email\nu1,kid1@d.org,n/a\n',
      'roles.csv': 'userSourcedId,orgSourcedId,role\nu1,sch1,student\n',
    });
    const { data, report } = await loadRosterDir(dir, { format: 'sds' });
    expect(data.users.get('u1')).toMatchObject({ email: null, role: 'student' });
    expect(issuesOf(report, 'users.csv').map(where)).toEqual(['warning:2:email']);
  });
});

describe('course_apps.csv appIds are checked against the app catalog', () => {
  const folder = (rows: string) =>
    tempRoster({ 'orgs.csv': ORGS, 'courses.csv': COURSES, 'course_apps.csv': `courseSourcedId,appId\n${rows}` });

  it('a domain or URL is a warning naming the line and the app id its events carry', async () => {
    const { data, report } = await loadRosterDir(
      folder('m7,ixl\nm7,khanacademy.org\nm7,https://www.desmos.com/calculator\nm7,nosuchapp\nm7,nosuch.example\n'),
    );
    expect(data.courseApps.get('m7')).toHaveLength(5); // kept as written: a warning only
    const issues = issuesOf(report, 'course_apps.csv');
    expect(issues.map(where)).toEqual(['warning:3:appId', 'warning:4:appId', 'warning:5:appId', 'warning:6:appId']);
    expect(issues[0]?.message).toMatch(
      /"khanacademy\.org" is not an app id of the shipped app catalog: .*write khan-academy/,
    );
    expect(issues[1]?.message).toMatch(/write desmos/);
    expect(issues[2]?.message).toMatch(/"nosuchapp" is not in the shipped app catalog/);
    expect(issues[3]?.message).toMatch(/its events carry "domain:nosuch\.example"/);
  });

  it("an app of the district's catalog is known", async () => {
    const district = [{ app_id: 'nosuchapp', name: 'Local app', domains: ['nosuch.example'], category: 'other' }];
    const catalog = { apps: new AppCatalog(loadShippedCatalog(), district), name: "district d1's catalog" };
    const { report } = await loadRosterDir(folder('m7,nosuchapp\nm7,nosuch.example\n'), { catalog });
    expect(issuesOf(report, 'course_apps.csv').map((i) => [where(i), i.message])).toEqual([
      ['warning:3:appId', expect.stringMatching(/not an app id of district d1's catalog: .*write nosuchapp/)],
    ]);
  });
});
