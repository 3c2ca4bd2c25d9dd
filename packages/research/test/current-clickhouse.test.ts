/**
 * The research refresh's SQL on a current ClickHouse engine (chdb, docs/CLICKHOUSE_SQL.md): the research
 * migration, the rollup merges, the grade query over current event versions, the staging table and
 * REPLACE PARTITION into another database. The same district and hand-written figures as the 18.16
 * suite (refresh.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { insertRows, queryRows, runMigrations } from '@edusage/clickhouse';
import { assessmentRow, migrationsDir, startCurrentClickHouse, type CurrentClickHouse } from '@edusage/testkit';
import { readonlySetting, refreshOutcomeBands, refreshWeek, RESEARCH_MIGRATIONS_DIR } from '../src';
import { addEvents, PRIVACY_EVENTS, storeDistrict, WEEK } from './fixtures';

jest.setTimeout(180_000);

const RESEARCH_DB = 'research_current';

let current: CurrentClickHouse;
beforeAll(async () => {
  current = await startCurrentClickHouse('edusage_research_current');
  await runMigrations(current.client, migrationsDir());
  // The bridge holds one session bound to the main database: the research DDL runs with its tables
  // qualified by the research database.
  await current.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${RESEARCH_DB}` });
  const files = readdirSync(RESEARCH_MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const ddl = files.map((f) => readFileSync(`${RESEARCH_MIGRATIONS_DIR}/${f}`, 'utf8')).join('\n');
  for (const statement of ddl.split(/;\s*$/m).filter((s) => /CREATE TABLE/.test(s))) {
    await current.client.command({
      query: statement.replace('CREATE TABLE IF NOT EXISTS ', `CREATE TABLE IF NOT EXISTS ${RESEARCH_DB}.`),
    });
  }
  await storeDistrict(current.client);
});
afterAll(async () => {
  await current?.close();
});

test('outcome bands run on the current engine', async () => {
  const ch = current.client;
  const test = (n: number, day: string, score: number) =>
    assessmentRow(`p${String(n).padStart(2, '0')}`, day, score, { assessment: 'MAP' });
  const students = Array.from({ length: 31 }, (_, i) => i + 1);
  await insertRows(ch, 'assessment_results', [
    ...students.map((n) => test(n, '2026-09-01', 200)),
    ...students.map((n) => test(n, '2026-09-29', 200 + (n <= 12 ? 12 : 6))),
  ]);
  expect(await refreshOutcomeBands(ch, RESEARCH_DB, '2026-27', 10, new Map([['app-a', 4]]))).toBe(9);
  const rows = await queryRows<{ band: string; students: number | null; mean_growth: number | null }>(
    ch,
    `SELECT band, students, mean_growth FROM ${RESEARCH_DB}.outcome_bands WHERE app_id = 'app-a' ORDER BY band`,
  );
  // p01–p12 at 5 min/week ≥ 4 (growth 12), p13–p31 at 2.5 (growth 6); everyone used app-a.
  expect(rows).toEqual([
    { band: 'at_goal', students: 12, mean_growth: 12 },
    { band: 'below_goal', students: 19, mean_growth: 6 },
    { band: 'none', students: 0, mean_growth: null },
  ]);
});

test('refresh builds the same suppressed week as on 18.16, and a re-run replaces it', async () => {
  const ch = current.client;
  for (let run = 0; run < 2; run++) await refreshWeek(ch, RESEARCH_DB, WEEK, 10);
  const district = await queryRows<{ app_id: string; active_students: number | null; events: string | null }>(
    ch,
    `SELECT app_id, active_students, events FROM ${RESEARCH_DB}.weekly_app_usage_district ORDER BY app_id`,
  );
  expect(district.map((r) => [r.app_id, r.active_students, r.events === null ? null : Number(r.events)])).toEqual([
    ['app-a', 31, 43],
    ['app-b', null, null],
  ]);
  const grade = await queryRows<{ app_id: string; grade: string; active_students: number | null }>(
    ch,
    `SELECT app_id, grade, active_students FROM ${RESEARCH_DB}.weekly_app_usage_grade ORDER BY app_id, grade`,
  );
  expect(grade.map((r) => [r.app_id, r.grade, r.active_students])).toEqual([
    ['app-a', '', null],
    ['app-a', '05', null],
    ['app-a', '06', 17],
    ['app-b', '05', null],
  ]);
  const school = await queryRows<{ school_id: string; active_students: number | null }>(
    ch,
    `SELECT school_id, active_students FROM ${RESEARCH_DB}.weekly_app_usage_school ORDER BY app_id, school_id`,
  );
  expect(school.map((r) => [r.school_id, r.active_students])).toEqual([
    ['sch-1', null],
    ['sch-2', null],
    ['sch-3', 16],
    ['sch-1', null],
  ]);
  const licenses = await queryRows<{ license_id: string; active: number | null; utilization: number | null }>(
    ch,
    `SELECT license_id, active, utilization FROM ${RESEARCH_DB}.weekly_license_utilization ORDER BY license_id`,
  );
  expect(licenses).toEqual([
    { license_id: 'L-A', active: 31, utilization: 31 / 40 },
    { license_id: 'L-B', active: null, utilization: null },
    { license_id: 'L-C', active: 0, utilization: 0 },
  ]);
});

test("the export reads the session's readonly setting on the current engine (18.16 has no getSetting)", async () => {
  expect(await readonlySetting(current.client)).toBe('0');
});

// Last: it adds events to the district the tests above count.
test('apps the district does not know become one unresolved row, distinct students over them', async () => {
  const ch = current.client;
  await addEvents(ch, PRIVACY_EVENTS);
  expect((await refreshWeek(ch, RESEARCH_DB, WEEK, 10)).kept).toEqual([]);
  const rows = (table: string, key: string) =>
    queryRows<{ app_id: string; key: string; active_students: number | null; events: string | null }>(
      ch,
      `SELECT app_id, ${key} AS key, active_students, events FROM ${RESEARCH_DB}.${table} ORDER BY app_id, key`,
    );
  const pick = (r: { app_id: string; key: string; active_students: number | null; events: string | null }) => [
    r.app_id,
    r.key,
    r.active_students,
    r.events === null ? null : Number(r.events),
  ];
  // No license names domain:vendor.example here: the formula id (p01–p12), the personal site (p01–p03)
  // and vendor.example (p16–p28) are 25 distinct students, 28 events.
  expect((await rows('weekly_app_usage_district', 'district_id')).map(pick)).toEqual([
    ['app-a', 'd1', 31, 43],
    ['app-b', 'd1', null, null],
    ['unresolved', 'd1', 25, 28],
  ]);
  expect(
    (await rows('weekly_app_usage_school', 'school_id')).filter((r) => r.app_id === 'unresolved').map(pick),
  ).toEqual([
    ['unresolved', 'sch-1', 12, 15],
    ['unresolved', 'sch-3', 13, 13],
  ]);
  expect((await rows('weekly_app_usage_grade', 'grade')).filter((r) => r.app_id === 'unresolved').map(pick)).toEqual([
    ['unresolved', '05', 12, 15],
    ['unresolved', '06', 13, 13],
  ]);
});
