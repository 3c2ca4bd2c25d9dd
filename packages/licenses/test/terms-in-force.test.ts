/**
 * Licenses whose term has no day in the report's window (an expired contract, next year's contract)
 * are not in force there: no metrics, no idle cost, no flags, not in the district totals nor "never
 * used", listed in `not_in_force` instead. And use after a term's end is "expired but used" only on
 * days no other license of the same app, scope and audience covers. Real ClickHouse; every
 * expectation written by hand from the rows below.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { command, createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { buildLicenseReport, importLicenses, licenseMetricsFor, licenseTableFor, currentLicenses } from '../src';

jest.setTimeout(120_000);

let env: TestEnv;
let ch: ClickHouseClient;
let range = 100;

/** One school-rollup row (district d1, school s1): `person` of `role` used `app` on `day`. */
async function use(app: string, day: string, role: 'student' | 'teacher', person: string): Promise<void> {
  range += 1;
  await command(
    ch,
    `INSERT INTO rollup_school_app_daily_parts (district_id, school_id, local_date, app_id, role, kafka_topic, kafka_partition,
       range_start, range_end, events, active_users, explicit_seconds, active_minutes, unresolved_person_events, unresolved_app_events)
     SELECT 'd1', 's1', toDate('${day}'), '${app}', '${role}', 't', 0, ${range}, ${range + 1},
            sumState(toUInt64(1)), uniqExactState('${person}'), sumState(toUInt64(60)),
            uniqExactIfState('${person}', toDateTime(0, 'UTC'), toUInt8(0)), sumState(toUInt64(0)), sumState(toUInt64(0))
     FROM system.one`,
  );
}

beforeAll(async () => {
  env = await createTestEnv('licenses_in_force', { kafka: false });
  ch = createClickHouse(env.config);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-in-force-'));
  const file = path.join(dir, 'licenses.csv');
  writeFileSync(
    file,
    [
      'licenseId,appId,orgSourcedId,seatsPurchased,contractCost,currency,contractStartDate,contractEndDate,audience',
      'L25,ixl,d1,10,5000,USD,2025-07-01,2026-06-30,students', // last year's IXL
      'L26,ixl,d1,10,6000,USD,2026-07-01,2027-06-30,students', // this year's IXL: covers L25's after-term days
      'TL25,ixl,d1,10,700,USD,2025-07-01,2026-06-30,teachers', // teachers: no successor
      'Q25,quizlet,d1,10,300,USD,2025-07-01,2026-06-30,students',
      'Q26,quizlet,d1,10,400,USD,2026-10-15,2027-06-30,students', // a gap 07-01..10-14 after Q25
      'N27,kahoot,d1,10,2000,USD,2027-07-01,2028-06-30,students', // next year's contract
    ].join('\n') + '\n',
  );
  expect(await importLicenses(ch, 'd1', file)).toMatchObject({ accepted: 6, rejected: 0 });
  rmSync(dir, { recursive: true, force: true });
  await use('ixl', '2026-07-10', 'student', 'p3'); // July: L26's term, after L25's
  await use('ixl', '2026-10-05', 'student', 'p1');
  await use('ixl', '2026-10-20', 'student', 'p2');
  await use('ixl', '2026-10-06', 'teacher', 't1');
  await use('quizlet', '2026-10-05', 'student', 'p1'); // in the gap: no quizlet license in force
  await use('quizlet', '2026-10-20', 'student', 'p2'); // Q26's term
});
afterAll(async () => {
  await ch?.close();
  await env?.cleanup();
});

const OCTOBER = { districtId: 'd1', from: '2026-10-01', to: '2026-10-30' };

test('a 30-day October report: only the licenses in force have metrics, idle cost, flags and totals', async () => {
  const r = await buildLicenseReport(ch, OCTOBER);
  expect(r.licenses.map((m) => [m.license.license_id, m.active, m.idle_cost, m.flags])).toEqual([
    ['L26', 2, 6000 * 0.8, ['high_cost_low_use', 'expensive_underused']],
    ['Q26', 1, 400 * 0.9, ['expensive_underused']],
  ]);
  // Σ cost 6400, Σ idle 4800 + 360, Σ used 1200 + 40.
  expect(r.district).toEqual([{ currency: 'USD', licenses: 2, total_cost: 6400, idle_cost: 5160, epi: 6400 / 1240 }]);
  expect(r.not_in_force).toEqual([
    {
      license_id: 'L25',
      app_id: 'ixl',
      school_id: '',
      term_start: '2025-07-01',
      term_end: '2026-06-30',
      reason: 'ended',
    },
    {
      license_id: 'N27',
      app_id: 'kahoot',
      school_id: '',
      term_start: '2027-07-01',
      term_end: '2028-06-30',
      reason: 'not_started',
    },
    {
      license_id: 'Q25',
      app_id: 'quizlet',
      school_id: '',
      term_start: '2025-07-01',
      term_end: '2026-06-30',
      reason: 'ended',
    },
    {
      license_id: 'TL25',
      app_id: 'ixl',
      school_id: '',
      term_start: '2025-07-01',
      term_end: '2026-06-30',
      reason: 'ended',
    },
  ]);
  // Next year's contract is not "never used"; the weekly trend is of the licenses in force only.
  expect(r.never_used).toEqual([]);
  expect([...new Set(r.trend.map((t) => t.license_id))]).toEqual(['L26', 'Q26']);
  expect([...new Set(r.schools.map((s) => s.license_id))].every((id) => id === 'L26' || id === 'Q26')).toBe(true);
  expect(r.unlicensed).toEqual([]);
});

test('expired but used: only days no license of the same app, scope and audience covers', async () => {
  const r = await buildLicenseReport(ch, OCTOBER);
  // L25: all its October use is in L26's term. Q25: p1 on 10-05 is in the gap before Q26, p2 on 10-20
  // is Q26's. TL25: teachers, whom L26 (students) does not cover.
  expect(r.expired_but_used.map((e) => [e.license_id, e.active, e.schools, e.term_end])).toEqual([
    ['Q25', 1, ['s1'], '2026-06-30'],
    ['TL25', 1, ['s1'], '2026-06-30'],
  ]);
  // A window over the change of year: L25 is in force (June) and its July use is L26's.
  const july = await buildLicenseReport(ch, { districtId: 'd1', from: '2026-06-20', to: '2026-07-19' });
  expect(july.licenses.map((m) => m.license.license_id)).toEqual(['L25', 'L26', 'Q25', 'TL25']);
  expect(july.licenses.find((m) => m.license.license_id === 'L26')?.active).toBe(1);
  expect(july.expired_but_used).toEqual([]);
});

test('what the API table, the dashboard and the nightly snapshots read: the licenses in force only', async () => {
  const table = await licenseTableFor(ch, 'd1', '30d', '2026-10-30');
  expect(table.window).toMatchObject({ from: '2026-10-01', to: '2026-10-30' });
  expect(table.licenses.map((m) => m.license.license_id)).toEqual(['L26', 'Q26']);
  // services/jobs snapshotDistrict: licenseMetricsFor over every current license.
  const { metrics } = await licenseMetricsFor(ch, OCTOBER, await currentLicenses(ch, 'd1'));
  expect(metrics.map((m) => m.license.license_id)).toEqual(['L26', 'Q26']);
});
