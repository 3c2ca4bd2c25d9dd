import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectFormat, importBlockers, loadRosterDir, RosterIndex } from '../src';

const samples = path.join(__dirname, 'samples');
const V21 = path.join(samples, 'sds-v2.1');
const V2 = path.join(samples, 'sds-v2');
const V1 = path.join(samples, 'sds-v1');
const KEY = 'test-pseudonym-key-0123456789';

/** Data rows of a sample CSV, split by hand (these samples have no quoted fields): the expectation side. */
function rows(file: string): string[][] {
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  return lines.slice(1).map((l) => l.split(','));
}

describe('format detection', () => {
  it.each([
    ['sds-v2.1', 'sds', /enrollments\.csv has no sourcedId/],
    ['sds-v2', 'sds', /enrollments\.csv has no sourcedId/],
    ['sds-v1', 'sds-v1', /School\.csv/],
    ['classlink-users-orgs-role-twice', 'oneroster', /manifest/],
  ])('samples/%s → %s', (name, format, reason) => {
    const dir = path.join(samples, name);
    expect(detectFormat(dir, readdirSync(dir))).toEqual({ format, reason: expect.stringMatching(reason) });
  });

  it('an SDS folder forced to be read as OneRoster is refused, not loaded without its memberships', async () => {
    const { data, report } = await loadRosterDir(V21, { format: 'oneroster' });
    expect(data.enrollments.size).toBe(0);
    expect(importBlockers(report, true).map((i) => `${i.file} ${i.field}`)).toEqual(
      expect.arrayContaining(['enrollments.csv sourcedId', 'classes.csv schoolSourcedId']),
    );
  });
});

describe('Microsoft SDS v2.1 (Microsoft sample files)', () => {
  it('loads every class membership, with roles and schools from roles.csv', async () => {
    const { data, report } = await loadRosterDir(V21);
    expect(report).toMatchObject({ format: 'sds', formatVersion: 'v2.1', missingFiles: [] });
    expect(report.issues).toEqual([]);
    expect(data.orgs.size).toBe(rows(path.join(V21, 'orgs.csv')).length);
    expect(data.users.size).toBe(rows(path.join(V21, 'users.csv')).length);
    expect(data.classes.size).toBe(rows(path.join(V21, 'classes.csv')).length);
    const enrollmentRows = rows(path.join(V21, 'enrollments.csv'));
    expect(data.enrollments.size).toBe(enrollmentRows.length);
    for (const [cls, user, role] of enrollmentRows) {
      const e = [...data.enrollments.values()].find((x) => x.classSourcedId === cls && x.userSourcedId === user);
      expect(e).toMatchObject({ role, schoolSourcedId: data.classes.get(cls ?? '')?.schoolSourcedId });
    }
    // From roles.csv by hand: 114007 is a teacher at 110004 (primary) and 110003; 114001 a grade-10 student at 110003.
    expect(data.users.get('114007')).toMatchObject({ role: 'teacher', orgSourcedIds: ['110004', '110003'] });
    expect(data.users.get('114001')).toMatchObject({
      role: 'student',
      orgSourcedIds: ['110003'],
      grades: ['10'],
      username: 'jcraig@classrmtest31.org',
    });
    expect(data.users.get('114002')?.role).toBe(''); // a guardian: no roles.csv row
    expect(data.classes.get('112001')).toMatchObject({
      schoolSourcedId: '110001',
      courseSourcedId: 'C12001',
      termSourcedIds: ['FS2021HED'],
      title: 'Computer Science 101',
    });
    // The file's last day is 2022-06-11; the model's end is the day after it (exclusive, as OneRoster's).
    expect(data.sessions.get('SY2021K12')).toMatchObject({ startDate: '2021-08-24', endDate: '2022-06-12' });
  });

  it('downstream: the roster index finds people, their schools and classes; a professor counts as a teacher', async () => {
    const { data } = await loadRosterDir(V21);
    const index = new RosterIndex('d1', 'v1', data, KEY);
    const student = index.findPerson({ username: 'JCRAIG@classrmtest31.org' });
    expect(student?.orgSchools).toEqual(['110003']); // 110003 is the only org of type school
    expect(student?.role).toBe('student');
    expect(index.findPerson({ sourced_id: '114006' })?.role).toBe('teacher'); // "professor" in roles.csv
  });
});

describe('Microsoft SDS v2 (role and orgs in users.csv)', () => {
  it('loads every user with its role and org and every membership', async () => {
    const { data, report } = await loadRosterDir(V2);
    expect(report).toMatchObject({ format: 'sds', formatVersion: 'v2' });
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const users = rows(path.join(V2, 'users.csv'));
    expect(data.users.size).toBe(users.length);
    for (const [id, org, , , , , role] of users) {
      expect(data.users.get(id ?? '')).toMatchObject({ role, orgSourcedIds: [org] });
    }
    const enrollments = rows(path.join(V2, 'enrollments.csv'));
    expect(data.enrollments.size).toBe(enrollments.length);
    const perClass = new Map<string, number>();
    for (const [cls] of enrollments) perClass.set(cls ?? '', (perClass.get(cls ?? '') ?? 0) + 1);
    for (const [cls, n] of perClass) {
      expect([...data.enrollments.values()].filter((e) => e.classSourcedId === cls)).toHaveLength(n);
    }
  });
});

describe('Microsoft SDS v1 (School, Section, Student, Teacher, StudentEnrollment, TeacherRoster)', () => {
  it('maps schools, sections (with course and term), people and every membership', async () => {
    const { data, report } = await loadRosterDir(V1);
    expect(report).toMatchObject({ format: 'sds-v1', formatVersion: 'v1', missingFiles: [] });
    expect(report.issues).toEqual([]);
    const students = rows(path.join(V1, 'Student.csv'));
    const teachers = rows(path.join(V1, 'Teacher.csv'));
    expect(data.users.size).toBe(students.length + teachers.length);
    for (const [id, school] of students)
      expect(data.users.get(id ?? '')).toMatchObject({ role: 'student', orgSourcedIds: [school] });
    for (const [id, school] of teachers)
      expect(data.users.get(id ?? '')).toMatchObject({ role: 'teacher', orgSourcedIds: [school] });
    const memberships = [
      ...rows(path.join(V1, 'StudentEnrollment.csv')).map(([s, u]) => [s, u, 'student']),
      ...rows(path.join(V1, 'TeacherRoster.csv')).map(([s, u]) => [s, u, 'teacher']),
    ];
    expect(data.enrollments.size).toBe(memberships.length);
    for (const [section, user, role] of memberships) {
      expect(data.enrollments.get(`${section}/${user}`)).toMatchObject({ role, schoolSourcedId: '10001' });
    }
    // Section.csv by hand: 11001 "Math - Algebra 1", course 11001 "Math 101", term 12000 from 7/1/2017 (US dates).
    expect(data.orgs.get('10001')).toMatchObject({ type: 'school', name: 'Contoso High School' });
    expect(data.classes.get('11001')).toMatchObject({
      title: 'Math - Algebra 1',
      courseSourcedId: '11001',
      schoolSourcedId: '10001',
      termSourcedIds: ['12000'],
    });
    expect(data.courses.get('11001')).toMatchObject({ title: 'Math 101', courseCode: '101' });
    // Term EndDate 2018-06-30 is the last day; the model's end is the day after it.
    expect(data.sessions.get('12000')).toMatchObject({ startDate: '2017-07-01', endDate: '2018-07-01' });
  });
});

describe('SDS bad rows', () => {
  it('a bad or repeated membership row is rejected with file, line and field; the rows beside it are kept', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'enrich-sds-'));
    const files: Record<string, string> = {
      'orgs.csv': 'sourcedId,name,type\ns1,School,school\n',
      'users.csv': 'sourcedId,username\nu1,a@x.org\nu2,b@x.org\n',
      'roles.csv': 'userSourcedId,orgSourcedId,role\nu1,s1,student\nu2,s1,teacher\nu9,s1,student\n',
      'classes.csv': 'sourcedId,orgSourcedId,title\nc1,s1,Math\n',
      'enrollments.csv':
        'classSourcedId,userSourcedId,role\nc1,u1,student\nc1,,student\nc1,u1,student\nc1,u2,teacher\n',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    const { data, report } = await loadRosterDir(dir);
    expect(report.issues.map((i) => `${i.severity} ${i.file}:${i.line}:${i.field}`)).toEqual([
      'warning roles.csv:4:userSourcedId',
      'error enrollments.csv:3:userSourcedId',
      'error enrollments.csv:4:userSourcedId',
    ]);
    expect(
      [...data.enrollments.values()].map((e) => [e.classSourcedId, e.userSourcedId, e.role, e.schoolSourcedId]),
    ).toEqual([
      ['c1', 'u1', 'student', 's1'],
      ['c1', 'u2', 'teacher', 's1'],
    ]);
  });
});
