/**
 * The nightly snapshot after the jobs service was down across several of its times (in process, real
 * ClickHouse): BullMQ runs the first missed time late and skips the others, so a scheduled run
 * snapshots every day missed since the district's last snapshot, up to SNAPSHOT_CATCH_UP_DAYS of them,
 * each with the same figures a run of that day writes; older missed days are logged, not snapshotted.
 * A district never snapshotted gets no made-up history; a manual run snapshots its own day only.
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { buildLicenseReport, currentLicenses } from '@edusage/licenses';
import type { Logger } from '@edusage/logging';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { loadJobsConfig } from '../src/config';
import { JOB } from '../src/job-names';
import { jobProcessor, type JobDeps } from '../src/processor';
import { catchUpDays, SNAPSHOT_CATCH_UP_DAYS, snapshotDistrict } from '../src/snapshot';
import { seedActivity, seedLicenses } from './harness';

jest.setTimeout(120_000);

const ZONE = 'America/Chicago';
const LICENSES = [
  'L-ixl,ixl,IXL,d1,10,1000,flat,USD,2026-07-01,2027-06-30',
  'L-kami,kami,Kami,d1,4,25,per_seat,USD,2026-07-01,2027-06-30',
];

let env: TestEnv;
let ch: ClickHouseClient;
const logged: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
let deps: JobDeps;

/** Only what the snapshot uses; the logger keeps its lines for the test to read. */
function snapshotDeps(): JobDeps {
  const log = (level: string) => (fields: Record<string, unknown>, msg: string) => logged.push({ level, fields, msg });
  const logger = {
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    debug: log('debug'),
  } as unknown as Logger;
  return { config: loadJobsConfig(env.env), ch, logger, queue: {} as Queue, redis: {} as Redis };
}

/** The scheduler's run due at `due` (its `opts.prevMillis`), run now. */
const scheduledRun = (due: string) =>
  jobProcessor(deps)(
    {
      id: `snap-${due}`,
      name: JOB.snapshot,
      data: { zone: ZONE },
      opts: { prevMillis: Date.parse(due) },
      timestamp: Date.parse(due) - 86_400_000,
    } as unknown as Job,
    undefined,
    undefined,
  ) as Promise<{ day: string; caughtUp: Record<string, string[]>; missed: Record<string, string[]> }>;

const snapshotDays = async (district: string) =>
  (
    await queryRows<{ day: string }>(
      ch,
      `SELECT DISTINCT toString(day) AS day FROM license_utilization_snapshots
       WHERE district_id = '${district}' ORDER BY day`,
    )
  ).map((r) => r.day);

const latest = (district: string, day: string) =>
  queryRows<{ license_id: string; active: number; utilization: number | null }>(
    ch,
    `SELECT license_id, active, utilization FROM license_utilization_snapshots_latest
     WHERE district_id = '${district}' AND day = '${day}' ORDER BY license_id`,
  );

beforeAll(async () => {
  env = await createTestEnv('jobs_snapshot_catch_up', { kafka: false });
  ch = createClickHouse(env.config);
  deps = snapshotDeps();
  await seedLicenses(ch, 'd1', LICENSES);
  // Use on the missed days, so each day's window differs from the next.
  await seedActivity(ch, { districtId: 'd1', schoolId: 's1', day: '2026-11-10', appId: 'ixl', people: ['p1'] });
  await seedActivity(ch, { districtId: 'd1', schoolId: 's1', day: '2026-11-20', appId: 'ixl', people: ['p2'] });
  await seedActivity(ch, { districtId: 'd1', schoolId: 's1', day: '2026-11-21', appId: 'kami', people: ['p3'] });
  await seedActivity(ch, { districtId: 'd1', schoolId: 's1', day: '2026-11-22', appId: 'ixl', people: ['p4', 'p5'] });
  // The last night before the service went down: Wednesday 2026-11-18.
  await snapshotDistrict(ch, 'd1', '2026-11-18', 30, 1_000);
});
afterAll(async () => {
  await ch?.close();
  await env?.cleanup();
});

test('down Friday 01:00 to Monday 08:00: the next scheduled run snapshots Friday, Saturday and Sunday too', async () => {
  // The run due Friday 02:00 (Thursday's snapshot) runs late on Monday: nothing missed before it.
  const late = await scheduledRun('2026-11-20T08:00:00Z');
  expect(late.day).toBe('2026-11-19');
  // Tuesday 02:00 (Monday's): the days between are caught up, oldest first.
  logged.length = 0;
  const next = await scheduledRun('2026-11-24T08:00:00Z');
  expect(next.day).toBe('2026-11-23');
  expect(await snapshotDays('d1')).toEqual([
    '2026-11-18',
    '2026-11-19',
    '2026-11-20',
    '2026-11-21',
    '2026-11-22',
    '2026-11-23',
  ]);
  expect(late.caughtUp?.d1).toBeUndefined();
  expect(next.caughtUp?.d1).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
  expect(logged).toContainEqual(
    expect.objectContaining({
      level: 'info',
      fields: expect.objectContaining({ district: 'd1', days: ['2026-11-20', '2026-11-21', '2026-11-22'] }),
    }),
  );
  // Each caught-up day holds the report's figures for the window ending on it (read now, as any run).
  for (const day of ['2026-11-20', '2026-11-21', '2026-11-22']) {
    const report = await buildLicenseReport(ch, { districtId: 'd1', from: addDaysUtc(day, -29), to: day });
    expect(await latest('d1', day)).toEqual(
      report.licenses.map((m) => ({ license_id: m.license.license_id, active: m.active, utilization: m.utilization })),
    );
  }
  expect((await latest('d1', '2026-11-21')).map((r) => r.active)).toEqual([2, 1]);
  expect((await latest('d1', '2026-11-22')).map((r) => r.active)).toEqual([4, 1]);
});

test('beyond the cap the oldest missed days are logged as left, not snapshotted; a new district gets no history', async () => {
  // d2's last snapshot is of October 1; d3 has just got its inventory.
  await seedLicenses(ch, 'd2', LICENSES);
  await seedLicenses(ch, 'd3', LICENSES);
  await snapshotDistrict(ch, 'd2', '2026-10-01', 30, 1_000);
  logged.length = 0;
  const run = await scheduledRun('2026-11-25T08:00:00Z'); // Tuesday's snapshot
  // d2: October 2 .. November 23 are missed; the latest 14 are caught up.
  expect(await snapshotDays('d2')).toEqual(['2026-10-01', ...daysFrom('2026-11-10', '2026-11-24')]);
  const missed = daysFrom('2026-10-02', '2026-11-09');
  expect(run.caughtUp?.d2).toEqual(daysFrom('2026-11-10', '2026-11-23'));
  expect(run.caughtUp.d2).toHaveLength(SNAPSHOT_CATCH_UP_DAYS);
  expect(run.missed?.d2).toEqual(missed);
  expect(logged).toContainEqual(
    expect.objectContaining({
      level: 'warn',
      fields: expect.objectContaining({ district: 'd2', from: '2026-10-02', to: '2026-11-09', days: missed.length }),
    }),
  );
  // d1 was snapshotted yesterday: nothing missed. d3 was never snapshotted: its first day only.
  expect(run.caughtUp?.d1).toBeUndefined();
  expect(await snapshotDays('d3')).toEqual(['2026-11-24']);
});

test('a manual run snapshots its day only', async () => {
  const r = (await jobProcessor(deps)(
    {
      id: 'by-hand',
      name: JOB.snapshot,
      data: { zone: ZONE, day: '2026-12-01' },
      opts: {},
      timestamp: 0,
    } as unknown as Job,
    undefined,
    undefined,
  )) as { caughtUp: Record<string, string[]> };
  expect(r.caughtUp).toEqual({});
  expect((await snapshotDays('d3')).slice(-2)).toEqual(['2026-11-24', '2026-12-01']);
});

test('a day with no license in force in its window is not missing (it would have no rows)', async () => {
  const licenses = (await currentLicenses(ch, 'd1')).map((l) => ({ ...l, term_end: '2026-11-05' }));
  // 30-day windows: the window ending December 4 is the last to reach November 5.
  expect(catchUpDays('2026-12-01', '2026-12-10', 30, licenses)).toEqual({
    caughtUp: ['2026-12-02', '2026-12-03', '2026-12-04'],
    missed: [],
  });
  expect(catchUpDays(null, '2026-12-10', 30, licenses)).toEqual({ caughtUp: [], missed: [] });
});

function addDaysUtc(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** `from` .. `to` inclusive. */
function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDaysUtc(d, 1)) out.push(d);
  return out;
}
