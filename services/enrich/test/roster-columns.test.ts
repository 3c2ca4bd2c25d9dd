import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importBlockers, loadRosterDir, parseColumnRenames, formatRosterReport } from '../src';

const samples = path.join(__dirname, 'samples');
const CLASSLINK = path.join(samples, 'classlink-users-orgs-role-twice');

function tempRoster(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'enrich-columns-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const fileLevel = (issues: { scope?: string; severity: string; file: string; field?: string }[]) =>
  issues.filter((i) => i.scope === 'file').map((i) => `${i.severity} ${i.file} ${i.field}`);

describe('ClassLink users.csv: "orgs" instead of orgSourcedIds and a second, empty "role" column', () => {
  it('is reported at file level with the column and the fix, and the import would refuse it', async () => {
    const { report } = await loadRosterDir(CLASSLINK);
    expect(fileLevel(report.issues).sort()).toEqual(['error users.csv orgSourcedIds', 'warning users.csv role']);
    const missing = report.issues.find((i) => i.field === 'orgSourcedIds');
    expect(missing?.message).toMatch(/--rename users\.csv:orgs=orgSourcedIds/);
    const repeated = report.issues.find((i) => i.field === 'role');
    expect(repeated?.message).toMatch(/appears 2 times \(columns 6, 12\)/);
    expect(importBlockers(report, false)).toHaveLength(2);
    // Accepting warnings is not enough: a missing needed column is an error.
    expect(importBlockers(report, true).map((i) => i.field)).toEqual(['orgSourcedIds']);
    const text = formatRosterReport(report);
    expect(text).toMatch(/FILE ERR users\.csv, field orgSourcedIds/);
    expect(text).toMatch(/the import refuses this roster/);
  });

  it('with --rename users.csv:orgs=orgSourcedIds every user has its role and school (the repeated role is read as one)', async () => {
    const { data, report } = await loadRosterDir(CLASSLINK, {
      renames: parseColumnRenames(['users.csv:orgs=orgSourcedIds']),
    });
    expect(importBlockers(report, true)).toEqual([]);
    expect(importBlockers(report, false).map((i) => i.field)).toEqual(['role']);
    // Written by hand from users.csv: 4 students, 2 teachers; tch-2 teaches at both schools.
    const byUser = Object.fromEntries([...data.users.values()].map((u) => [u.sourcedId, [u.role, u.orgSourcedIds]]));
    expect(byUser).toEqual({
      'stu-1': ['student', ['sch-a']],
      'stu-2': ['student', ['sch-a']],
      'stu-3': ['student', ['sch-b']],
      'stu-4': ['student', ['sch-b']],
      'tch-1': ['teacher', ['sch-a']],
      'tch-2': ['teacher', ['sch-a', 'sch-b']],
    });
  });

  it('a row whose repeated columns disagree is rejected; the rows beside it are kept', async () => {
    const dir = tempRoster({
      'users.csv':
        'sourcedId,enabledUser,orgSourcedIds,role,username,givenName,familyName,role\n' +
        'u1,true,s1,student,a,A,A,\n' +
        'u2,true,s1,student,b,B,B,teacher\n' +
        'u3,true,s1,,c,C,C,teacher\n',
    });
    const { data, report } = await loadRosterDir(dir);
    expect([...data.users.values()].map((u) => [u.sourcedId, u.role])).toEqual([
      ['u1', 'student'],
      ['u3', 'teacher'],
    ]);
    const rejected = report.issues.filter((i) => i.severity === 'error' && i.scope !== 'file');
    expect(rejected).toEqual([
      expect.objectContaining({
        file: 'users.csv',
        line: 3,
        field: 'role',
        message: expect.stringMatching(/student.*teacher/),
      }),
    ]);
  });
});

describe('column checks per file and version', () => {
  it('a missing needed column in any OneRoster file is a file-level error naming file and column', async () => {
    const dir = tempRoster({
      'manifest.csv': 'propertyName,value\noneroster.version,1.0\n',
      'orgs.csv': 'sourcedId,status,dateLastModified,name,identifier\ns1,,,School,\n',
      'classes.csv': 'sourcedId,title,courseSourcedId,classType,termSourcedId\nc1,Math,k1,scheduled,t1\n',
      'enrollments.csv': 'sourcedId,classSourcedId,schoolSourcedId,userSourcedId\ne1,c1,s1,u1\n',
      'users.csv': 'sourcedId,orgSourcedIds,username,givenName,familyName\nu1,s1,a,A,A\n',
    });
    const { report } = await loadRosterDir(dir);
    expect(report.formatVersion).toBe('1.0');
    expect(fileLevel(report.issues).sort()).toEqual([
      'error classes.csv schoolSourcedId',
      'error enrollments.csv role',
      'error orgs.csv type',
      'error users.csv role',
    ]);
    // 1.0 users.csv has no enabledUser and 1.0 classes.csv spells termSourcedId: nothing more to report.
    expect(report.issues.filter((i) => i.scope !== 'file')).toEqual([]);
  });

  it('1.1 requires enabledUser and academicSessions.schoolYear (warnings), 1.2 takes role from roles.csv', async () => {
    const v11 = tempRoster({
      'manifest.csv': 'propertyName,value\noneroster.version,1.1\n',
      'users.csv': 'sourcedId,orgSourcedIds,role,username,givenName,familyName\nu1,s1,student,a,A,A\n',
      'academicSessions.csv': 'sourcedId,title,type,startDate,endDate\nt1,T,term,2025-01-01,2025-06-01\n',
    });
    const r11 = (await loadRosterDir(v11)).report;
    expect(r11.issues.filter((i) => i.scope !== 'file').map((i) => `${i.file} ${i.field}`)).toEqual([
      'academicSessions.csv schoolYear',
      'users.csv enabledUser',
    ]);
    expect(fileLevel(r11.issues)).toEqual([]);

    const v12 = tempRoster({
      'manifest.csv': 'propertyName,value\noneroster.version,1.2\n',
      'users.csv': 'sourcedId,enabledUser,username,givenName,familyName\nu1,true,a,A,A\n',
    });
    // No roles.csv: the users would have no role and no school.
    expect(fileLevel((await loadRosterDir(v12)).report.issues).sort()).toEqual([
      'error users.csv orgSourcedIds',
      'error users.csv role',
    ]);
  });

  it('spacing variants are read as the standard column (file-level warning); misspellings are named with their fix', async () => {
    const dir = tempRoster({
      'enrollments.csv':
        'sourcedId,class_sourced_id,schoolSourcedId,userSourceId,role,begin Date\ne1,c1,s1,u1,student,2025-08-15\n',
    });
    const { data, report } = await loadRosterDir(dir);
    const messages = Object.fromEntries(report.issues.filter((i) => i.scope === 'file').map((i) => [i.field, i]));
    expect(messages['class_sourced_id']).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/read as classSourcedId/),
    });
    expect(messages['begin Date']).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/read as beginDate/),
    });
    expect(messages['userSourcedId']).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/--rename enrollments\.csv:userSourceId=userSourcedId/),
    });
    // The missing userSourcedId makes the row itself bad; the import refuses anyway.
    expect(data.enrollments.size).toBe(0);
    const renamed = await loadRosterDir(dir, {
      renames: parseColumnRenames(['enrollments.csv:userSourceId=userSourcedId']),
    });
    expect(importBlockers(renamed.report, true)).toEqual([]);
    expect(renamed.data.enrollments.get('e1')).toMatchObject({
      classSourcedId: 'c1',
      userSourcedId: 'u1',
      beginDate: '2025-08-15',
    });
  });

  it('a look-alike of a column edusage reads but does not need is a file-level warning; of one it does not read, a plain one', async () => {
    const dir = tempRoster({
      'manifest.csv': 'propertyName,value\noneroster.version,1.1\n',
      'users.csv':
        'sourcedId,enabledUsr,orgSourcedIds,role,username,givenName,familyName,e-mail,prefferedGivenName\n' +
        'u1,false,s1,student,a,A,A,a@x.org,B\n',
    });
    const { data, report } = await loadRosterDir(dir);
    const byField = Object.fromEntries(report.issues.map((i) => [i.field, i]));
    expect(byField['enabledUsr']).toMatchObject({
      scope: 'file',
      message: expect.stringMatching(/looks like enabledUser/),
    });
    expect(byField['e-mail']).toMatchObject({ scope: 'file', message: expect.stringMatching(/read as email/) });
    expect(byField['prefferedGivenName']).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/nothing changes/),
    });
    expect(byField['prefferedGivenName']?.scope).toBeUndefined();
    expect(data.users.get('u1')).toMatchObject({ enabled: true, email: 'a@x.org' });
  });

  it('a --rename that names no column is a file-level error; a malformed one is refused', async () => {
    const dir = tempRoster({ 'orgs.csv': 'sourcedId,name,type\ns1,S,school\n' });
    const { report } = await loadRosterDir(dir, { renames: parseColumnRenames(['orgs.csv:kind=type']) });
    expect(fileLevel(report.issues)).toEqual(['error orgs.csv kind']);
    expect(() => parseColumnRenames(['orgs.csv-kind-type'])).toThrow(/<file>:<column>=<new name>/);
  });
});
