/**
 * The license report's activity figures from one read of the school rollup (licenseActivity fans each
 * licensed row out to the window, school and week figures; the rollup is read in date slices, each
 * with FINAL). Cases the restructuring could get wrong: licenses of one app with different terms (a
 * term starting mid-week and at a slice boundary), a school-scoped and district-wide licenses of one
 * app, a person active at two schools, activity with no school, a row replaced by a newer version;
 * and the eligible people (eligibleCounts: the roster merged per role, grade and school first).
 * Every expectation is written by hand from the rows below.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { command, createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { buildLicenseReport, importLicenses, type LicenseReport } from '../src';
import { licenseActivity } from '../src/activity';

jest.setTimeout(120_000);

let env: TestEnv;
let ch: ClickHouseClient;
let report: LicenseReport;

interface Row {
  school: string;
  day: string;
  role: 'student' | 'teacher';
  person: string;
  seconds: number;
  /** UTC minutes 'YYYY-MM-DD hh:mm:ss' counted as engaged minutes. */
  minutes?: string[];
  /** The rollup row's key range (default: a new one) and version. */
  range?: number;
  version?: number;
}

let nextRange = 100;

/** One school-rollup row of app ixl in its own INSERT (its own part: FINAL has to collapse across parts). */
async function insert(r: Row): Promise<void> {
  const range = r.range ?? (nextRange += 1);
  const given = (r.minutes ?? []).map((m) => `toDateTime('${m}', 'UTC')`);
  // One row per minute (or one with no minute); the explicit seconds go to the first.
  const minutes = `[${given.length > 0 ? given.join(',') : "toDateTime(0, 'UTC')"}]`;
  await command(
    ch,
    `INSERT INTO rollup_school_app_daily_parts (district_id, school_id, local_date, app_id, role, kafka_topic, kafka_partition,
       range_start, range_end, events, active_users, explicit_seconds, active_minutes, unresolved_person_events, unresolved_app_events)
     SELECT 'd1', '${r.school}', toDate('${r.day}'), 'ixl', '${r.role}', 't', 0, ${range}, ${r.version ?? range + 1},
            sumState(toUInt64(1)), uniqExactState('${r.person}'), sumState(toUInt64(if(i = 1, ${r.seconds}, 0))),
            uniqExactIfState('${r.person}', m, toUInt8(${given.length > 0 ? 1 : 0})), sumState(toUInt64(0)),
            sumState(toUInt64(0))
     FROM (SELECT m, i FROM system.one ARRAY JOIN ${minutes} AS m, arrayEnumerate(${minutes}) AS i)`,
  );
}

/**
 * The roster: student p1 (grade 07) at s1 and s2, p2 (03) at s2, p5 (10) at no school, teachers t1 at
 * s1 and t2 at s3, and a disabled student p9 at s1 (never eligible).
 */
async function roster(): Promise<void> {
  const people: [string, string, string, string[], number][] = [
    ['p1', 'student', '07', ['s1', 's2'], 1],
    ['p2', 'student', '03', ['s2'], 1],
    ['p5', 'student', '10', [], 1],
    ['t1', 'teacher', '', ['s1'], 1],
    ['t2', 'teacher', '', ['s3'], 1],
    ['p9', 'student', '07', ['s1'], 0],
  ];
  await command(
    ch,
    `INSERT INTO dim_people (district_id, roster_version, person_id, role, grade, school_id, school_ids, enabled, status) VALUES ${people
      .map(
        ([id, role, grade, schools, enabled]) =>
          `('d1', 'r1', '${id}', '${role}', '${grade}', '${schools[0] ?? ''}', [${schools.map((x) => `'${x}'`).join(',')}], ${enabled}, 'active')`,
      )
      .join(', ')}`,
  );
  await recordVersion('r1', 1, '2026-08-01 00:00:00');
}

/** Makes `version` the current roster (the latest imported_ms), as an import's last step does. */
async function recordVersion(version: string, importedMs: number, at: string): Promise<void> {
  await command(
    ch,
    `INSERT INTO dim_roster_versions (district_id, roster_version, imported_ms, imported_at, oneroster_version, orgs, classes, people, enrollments)
     VALUES ('d1', '${version}', ${importedMs}, '${at}', '1.1', 3, 0, 6, 0)`,
  );
}

beforeAll(async () => {
  env = await createTestEnv('licenses_activity', { kafka: false });
  ch = createClickHouse(env.config);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-activity-'));
  const file = path.join(dir, 'licenses.csv');
  writeFileSync(
    file,
    'licenseId,appId,orgSourcedId,seatsPurchased,contractCost,currency,contractStartDate,contractEndDate,audience,grades\n' +
      'A,ixl,d1,10,100,USD,2026-09-01,2026-09-30,students\n' + // district, September only
      'B,ixl,d1,10,100,USD,2026-09-16,2027-06-30,all\n' + // district, from a Wednesday (and a slice start)
      'C,ixl,s1,10,100,USD,2026-09-01,2027-06-30,students\n' + // school s1 only
      'D,ixl,d1,10,100,USD,2026-10-05,2027-06-30,students\n' + // starts after the window: not in force
      'E,kahoot,d1,10,100,USD,2026-09-01,2027-06-30,students,06-08\n', // grades 6 to 8, no use
  );
  await importLicenses(ch, 'd1', file);
  rmSync(dir, { recursive: true, force: true });
  await roster();
  // Tuesday 2026-09-15: student p1 at s1 and at s2, the minute 14:00 at both (one person-minute).
  await insert({
    school: 's1',
    day: '2026-09-15',
    role: 'student',
    person: 'p1',
    seconds: 10,
    minutes: ['2026-09-15 14:00:00'],
  });
  await insert({
    school: 's2',
    day: '2026-09-15',
    role: 'student',
    person: 'p1',
    seconds: 20,
    minutes: ['2026-09-15 14:00:00', '2026-09-15 14:01:00'],
  });
  // Wednesday 2026-09-16: student p2 at s2, teacher t1 at s1.
  await insert({ school: 's2', day: '2026-09-16', role: 'student', person: 'p2', seconds: 100 });
  await insert({ school: 's1', day: '2026-09-16', role: 'teacher', person: 't1', seconds: 1000 });
  // Thursday 2026-09-17: student p5 with no school.
  await insert({ school: '', day: '2026-09-17', role: 'student', person: 'p5', seconds: 300 });
  // Thursday 2026-10-01 at s1: p3, then replaced by a newer version of the same row with p4 (a refold).
  await insert({
    school: 's1',
    day: '2026-10-01',
    role: 'student',
    person: 'p3',
    seconds: 5000,
    range: 7,
    version: 10,
  });
  await insert({ school: 's1', day: '2026-10-01', role: 'student', person: 'p4', seconds: 7, range: 7, version: 11 });
  report = await buildLicenseReport(ch, { districtId: 'd1', from: '2026-09-01', to: '2026-10-02' });
});
afterAll(async () => {
  await ch?.close();
  await env?.cleanup();
});

const license = (id: string) => report.licenses.find((m) => m.license.license_id === id)!;

test('active people and engaged time per license: each term, scope and audience; p1 at two schools once', () => {
  // A (Sep, students): p1, p2, p5. Seconds 10 + 20 + 100 + 300 and the minutes 14:00 and 14:01 of p1.
  expect(license('A')).toMatchObject({ active: 3, engaged_hours: (430 + 2 * 60) / 3600 });
  // B (from 09-16, everyone): p2, t1, p5, p4 (not p1 on 09-15, not the replaced p3).
  expect(license('B')).toMatchObject({ active: 4, engaged_hours: (100 + 1000 + 300 + 7) / 3600 });
  // C (s1, students): p1 and p4; p1's minute 14:00 at s1 only.
  expect(license('C')).toMatchObject({ active: 2, engaged_hours: (10 + 7 + 60) / 3600 });
  expect(license('E')).toMatchObject({ active: 0, engaged_hours: 0 });
  // D's term has no day in the window: no figures (its cost is not idle money of this window).
  expect(license('D')).toBeUndefined();
  expect(report.not_in_force.map((n) => [n.license_id, n.reason])).toEqual([['D', 'not_started']]);
});

test('eligible people: audience, scope, grade band; p1 of two schools once, p5 of none, p9 disabled', () => {
  const eligible = report.licenses.map((m) => `${m.license.license_id} ${m.eligible}`);
  expect(eligible).toEqual(['A 3', 'B 5', 'C 1', 'E 1']);
});

test('per school: p1 counts at both schools; a row for every school with people in scope', () => {
  const rows = report.schools.map((s) => `${s.license_id} ${s.school_id} ${s.eligible} ${s.active}`);
  expect(rows).toEqual([
    'A s1 1 1',
    'A s2 2 2',
    'A s3 0 0', // t2 is in A's scope (the district) but not its audience
    'B s1 2 2',
    'B s2 2 1',
    'B s3 1 0',
    'C s1 1 2', // p4 is active at s1 but not rostered (D: not in force, no rows)
    'E s1 1 0',
    'E s2 1 0',
  ]);
});

test('weekly trend counts only the days of each term; never used and used after the term', () => {
  const weeks = report.trend.map((t) => `${t.license_id} ${t.week} ${t.active}`);
  expect(weeks).toEqual([
    'A 2026-09-14 3',
    'B 2026-09-14 3', // p2, t1, p5: p1's Tuesday is before B's term
    'B 2026-09-28 1',
    'C 2026-09-14 1',
    'C 2026-09-28 1',
  ]);
  expect(report.never_used).toEqual(['E']); // D is not in force in the window, not "never used"
  expect(report.expired_but_used.map((e) => [e.license_id, e.active, e.schools])).toEqual([['A', 1, ['s1']]]);
});

test("one read's weekly figures (licenseActivity with trendFrom, the benchmark's path) equal the trend by hand", async () => {
  const read = await licenseActivity(
    ch,
    { districtId: 'd1', from: '2026-09-01', to: '2026-10-02' },
    {
      trendFrom: '2026-09-01',
    },
  );
  expect(read.weeks.map((t) => `${t.license_id} ${t.week} ${t.active}`)).toEqual([
    'A 2026-09-14 3',
    'B 2026-09-14 3',
    'B 2026-09-28 1',
    'C 2026-09-14 1',
    'C 2026-09-28 1',
  ]);
});

test('an app in use: its people and schools once, though its rows are joined to each of its four licenses', () => {
  // ixl (no approval): p1 (s1, s2), p2 (s2), t1 (s1), p5 (no school), p4 (s1); kahoot has no use.
  expect(report.unapproved.map((u) => [u.app_id, u.active, u.schools])).toEqual([['ixl', 5, ['s1', 's2']]]);
});

test('eligible people follow a new roster import (the counts kept per roster version are not served stale)', async () => {
  // Asked again on the same client: the same counts (now kept).
  const again = await buildLicenseReport(ch, { districtId: 'd1', from: '2026-09-01', to: '2026-10-02' });
  expect(again.licenses.map((m) => `${m.license.license_id} ${m.eligible}`)).toEqual(['A 3', 'B 5', 'C 1', 'E 1']);
  // Roster r2: p2 left, student p6 (grade 07) at s1 arrived.
  await command(
    ch,
    `INSERT INTO dim_people (district_id, roster_version, person_id, role, grade, school_id, school_ids, enabled, status)
     SELECT district_id, 'r2', person_id, role, grade, school_id, school_ids, enabled, status
     FROM dim_people WHERE roster_version = 'r1' AND person_id != 'p2'`,
  );
  await command(
    ch,
    `INSERT INTO dim_people (district_id, roster_version, person_id, role, grade, school_id, school_ids, enabled, status)
     VALUES ('d1', 'r2', 'p6', 'student', '07', 's1', ['s1'], 1, 'active')`,
  );
  await recordVersion('r2', 2, '2026-10-03 00:00:00');
  const after = await buildLicenseReport(ch, { districtId: 'd1', from: '2026-09-01', to: '2026-10-02' });
  // A (district students): p1, p5, p6. B (everyone): p1, p5, t1, t2, p6. C (s1 students): p1, p6.
  // E (grades 06-08): p1, p6.
  expect(after.licenses.map((m) => `${m.license.license_id} ${m.eligible}`)).toEqual(['A 3', 'B 5', 'C 2', 'E 2']);
});
