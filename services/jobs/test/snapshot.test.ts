/**
 * The nightly utilization snapshot on the real ClickHouse and Redis with the built service: its rows
 * are the licenses report's figures for the same window (and the hand-computed utilization, idle cost
 * and EPI); a re-run replaces the day instead of adding to it; a later inventory change leaves the
 * earlier day's snapshot as it was.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { buildLicenseReport } from '@edusage/licenses';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { bullPrefix, dueLocalDate } from '../src';
import { seedActivity, seedLicenses, startJobs, type ServiceProcess } from './harness';

jest.setTimeout(90_000);

let env: TestEnv;
let ch: ClickHouseClient;
let redis: Redis;
let queue: Queue;
let service: ServiceProcess;

interface Row {
  license_id: string;
  day: string;
  active: number;
  seats: number;
  utilization: number | null;
  used_share: number;
  total_cost: number;
  idle_cost: number;
  epi: number | null;
  cost_per_active_user: number | null;
  flags: string[];
}
const latest = (day: string) =>
  queryRows<Row>(
    ch,
    `SELECT license_id, toString(day) AS day, active, seats, utilization, used_share, total_cost, idle_cost, epi,
            cost_per_active_user, flags
     FROM license_utilization_snapshots_latest WHERE district_id = 'd1' AND day = '${day}' ORDER BY license_id`,
  );

async function snapshot(id: string, day: string): Promise<void> {
  await queue.add('license-snapshot', { zone: 'America/Chicago', day }, { jobId: id });
  const state = await waitFor(
    async () => (await queue.getJob(id))?.getState(),
    (s) => s === 'completed' || s === 'failed',
    { timeoutMs: 60_000, what: `job ${id}` },
  );
  expect(state).toBe('completed');
}

beforeAll(async () => {
  env = await createTestEnv('jobs_snapshot', { kafka: false });
  ch = createClickHouse(env.config);
  redis = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue('edusage-jobs', { connection: redis, prefix: bullPrefix(env.config) });
  await seedLicenses(ch, 'd1', [
    'L-ixl,ixl,IXL,d1,10,1000,flat,USD,2026-07-01,2027-06-30',
    'L-kami,kami,Kami,d1,4,25,per_seat,USD,2026-07-01,2027-06-30',
    'L-zearn,zearn,Zearn,d1,10,1000,flat,USD,2026-07-01,2027-06-30',
  ]);
  await seedActivity(ch, { districtId: 'd1', schoolId: 's1', day: '2026-11-10', appId: 'ixl', people: ['p1', 'p2'] });
  await seedActivity(ch, { districtId: 'd1', schoolId: 's2', day: '2026-11-18', appId: 'ixl', people: ['p2', 'p3'] });
  await seedActivity(ch, {
    districtId: 'd1',
    schoolId: 's1',
    day: '2026-11-12',
    appId: 'kami',
    people: ['p1', 'p2', 'p3'],
  });
  await seedActivity(ch, { districtId: 'd1', schoolId: 's1', day: '2026-09-01', appId: 'zearn', people: ['p1'] }); // before the window
  service = await startJobs({ ...env.env, JOBS_OWN_SCHEDULERS: 'false', JOBS_SNAPSHOT_WINDOW_DAYS: '30' });
});
afterAll(async () => {
  await service?.stop();
  await queue?.close();
  redis?.disconnect();
  await ch?.close();
  await env?.cleanup();
});

test('the rows are the report figures for the window ending on the day, and by hand', async () => {
  await snapshot('snap-1', '2026-11-19');
  const rows = await latest('2026-11-19');
  const report = await buildLicenseReport(ch, { districtId: 'd1', from: '2026-10-21', to: '2026-11-19' });
  expect(rows).toEqual(
    report.licenses.map((m) => ({
      license_id: m.license.license_id,
      day: '2026-11-19',
      active: m.active,
      seats: m.license.seats,
      utilization: m.utilization,
      used_share: m.used_share,
      total_cost: m.total_cost,
      idle_cost: m.idle_cost,
      epi: m.epi,
      cost_per_active_user: m.cost_per_active_user,
      flags: m.flags,
    })),
  );
  // By hand: ixl 3 distinct people (p1, p2, p3) of 10 seats, $1000 → idle $700, EPI 1/0.3;
  // kami 3 of 4 seats at $25 a seat = $100 → idle $25; zearn used only before the window.
  const byId = Object.fromEntries(rows.map((r) => [r.license_id, r]));
  expect(byId['L-ixl']).toMatchObject({ active: 3, utilization: 0.3, total_cost: 1000 });
  expect(byId['L-ixl']!.idle_cost).toBeCloseTo(700, 9);
  expect(byId['L-ixl']!.epi).toBeCloseTo(1 / 0.3, 9);
  expect(byId['L-kami']).toMatchObject({ active: 3, utilization: 0.75, total_cost: 100, idle_cost: 25 });
  expect(byId['L-zearn']).toMatchObject({ active: 0, utilization: 0, idle_cost: 1000, epi: null });
});

test('a re-run replaces the day; an inventory change later leaves the earlier day as it was', async () => {
  await snapshot('snap-2', '2026-11-19'); // the same day again (a retry or a manual re-run)
  expect(await latest('2026-11-19')).toHaveLength(3);

  // zearn dropped, ixl down to 5 seats; the next night's snapshot sees the new inventory.
  await seedLicenses(ch, 'd1', [
    'L-ixl,ixl,IXL,d1,5,1000,flat,USD,2026-07-01,2027-06-30',
    'L-kami,kami,Kami,d1,4,25,per_seat,USD,2026-07-01,2027-06-30',
  ]);
  await snapshot('snap-3', '2026-11-20');
  const after = await latest('2026-11-20');
  expect(after.map((r) => [r.license_id, r.utilization])).toEqual([
    ['L-ixl', 0.6],
    ['L-kami', 0.75],
  ]);
  const before = await latest('2026-11-19');
  expect(before.map((r) => [r.license_id, r.utilization])).toEqual([
    ['L-ixl', 0.3],
    ['L-kami', 0.75],
    ['L-zearn', 0],
  ]);

  // Re-running the earlier day now replaces it with the new inventory: the dropped license is gone.
  await snapshot('snap-4', '2026-11-19');
  expect((await latest('2026-11-19')).map((r) => [r.license_id, r.utilization])).toEqual([
    ['L-ixl', 0.6],
    ['L-kami', 0.75],
  ]);
});

test('a scheduled run snapshots the local day that ended before it was due (stable across retries)', () => {
  // Due 02:00 in Chicago on 2026-11-20 = 08:00 UTC; created the day before.
  const job = {
    timestamp: Date.parse('2026-11-19T08:00:05Z'),
    opts: { prevMillis: Date.parse('2026-11-20T08:00:00Z') },
  };
  expect(dueLocalDate(job, 'America/Chicago')).toBe('2026-11-20');
  expect(dueLocalDate(job, 'Asia/Tokyo')).toBe('2026-11-20');
  expect(dueLocalDate({ ...job, opts: { prevMillis: Date.parse('2026-11-20T05:59:00Z') } }, 'America/Chicago')).toBe(
    '2026-11-19',
  );
});
