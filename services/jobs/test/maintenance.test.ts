/**
 * The research refresh and retention jobs through the built service (real ClickHouse and Redis): a
 * scheduled research-refresh publishes a settled week once, and a job for a day rebuilds that day's
 * week, in the research database the service derives from CLICKHOUSE_DATABASE, with RESEARCH_K; a retention job drops the expired months of the
 * policy. The figures are those of the district of packages/research/test/fixtures.ts (hand-written
 * there), here with k = 12.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createClickHouse, insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { PublishResult } from '@edusage/research';
import { readCompactionState, type MonthCompactionResult } from '@edusage/rollups';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { storeDistrict, WEEK } from '../../../packages/research/test/fixtures';
import { bullPrefix } from '../src';
import { researchLockKey } from '../src/maintenance-jobs';
import { startJobs, type ServiceProcess } from './harness';

jest.setTimeout(120_000);

let env: TestEnv;
let ch: ClickHouseClient;
let redis: Redis;
let queue: Queue;
let service: ServiceProcess;

/** Runs a job for `day` (a manual run), or with no day as the scheduler's job due at `dueAt`. */
async function run(name: string, id: string, day: string | { dueAt: string }): Promise<unknown> {
  if (typeof day === 'string') await queue.add(name, { zone: 'America/Chicago', day }, { jobId: id });
  else await queue.add(name, { zone: 'America/Chicago' }, { jobId: id, timestamp: Date.parse(day.dueAt) });
  const state = await waitFor(
    async () => (await queue.getJob(id))?.getState(),
    (s) => s === 'completed' || s === 'failed',
    { timeoutMs: 60_000, what: `job ${id}` },
  );
  const job = await queue.getJob(id);
  expect({ state, reason: job?.failedReason }).toEqual({ state: 'completed', reason: undefined });
  return job?.returnvalue;
}

beforeAll(async () => {
  env = await createTestEnv('jobs_maintenance', { kafka: false });
  ch = createClickHouse(env.config);
  redis = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue('edusage-jobs', { connection: redis, prefix: bullPrefix(env.config) });
  await storeDistrict(ch);
  service = await startJobs({
    ...env.env,
    JOBS_OWN_SCHEDULERS: 'false',
    RESEARCH_K: '12',
    RETENTION_POLICY: 'dead_letters=90d',
  });
});
afterAll(async () => {
  await service?.stop();
  await queue?.close();
  redis?.disconnect();
  await ch?.close();
  await env?.cleanup();
});

const schoolWeek = () =>
  queryRows<{ app_id: string; school_id: string; active_students: number | null; k: number }>(
    ch,
    `SELECT app_id, school_id, active_students, k FROM ${env.config.CLICKHOUSE_DATABASE}_research.weekly_app_usage_school
     WHERE week_start = '${WEEK}' ORDER BY app_id, school_id`,
  );
// k = 12: sch-1 (12) is published; sch-2 (3) is below k and alone, so the next smallest (sch-1) goes too.
const SCHOOL_WEEK_K12 = [
  { app_id: 'app-a', school_id: 'sch-1', active_students: null, k: 12 },
  { app_id: 'app-a', school_id: 'sch-2', active_students: null, k: 12 },
  { app_id: 'app-a', school_id: 'sch-3', active_students: 16, k: 12 },
  { app_id: 'app-b', school_id: 'sch-1', active_students: null, k: 12 },
];

test('the scheduled research-refresh publishes the week once it settled, and once only', async () => {
  // Due 04:00 in Chicago: on Monday 09-28 the week of 09-07 has not been complete for two weeks yet.
  const early = (await run('research-refresh', 'scheduled-1', { dueAt: '2026-09-28T09:00:00Z' })) as PublishResult;
  expect(early.weeks.map((w) => w.week_start)).not.toContain(WEEK);
  expect(await schoolWeek()).toEqual([]);
  const due = (await run('research-refresh', 'scheduled-2', { dueAt: '2026-09-29T09:00:00Z' })) as PublishResult;
  expect(due.weeks.map((w) => w.week_start)).toContain(WEEK);
  expect(await schoolWeek()).toEqual(SCHOOL_WEEK_K12);
  const again = (await run('research-refresh', 'scheduled-3', { dueAt: '2026-09-30T09:00:00Z' })) as PublishResult;
  expect(again.weeks.map((w) => w.week_start)).not.toContain(WEEK);
  const log = await queryRows<{ table_name: string; trigger: string }>(
    ch,
    `SELECT table_name, trigger FROM ${env.config.CLICKHOUSE_DATABASE}_research.publications
     WHERE period = '${WEEK}' ORDER BY table_name`,
  );
  expect(log.map((l) => l.trigger)).toEqual(['scheduled', 'scheduled', 'scheduled', 'scheduled']);
});

test('a research-refresh job for a week that has not settled fails, saying so, and writes nothing', async () => {
  // Due on 2026-09-20 (Chicago): the week of 09-07 is not two weeks over yet.
  await queue.add(
    'research-refresh',
    { zone: 'America/Chicago', day: '2026-09-10' },
    { jobId: 'unsettled-1', timestamp: Date.parse('2026-09-20T09:00:00Z') },
  );
  const state = await waitFor(
    async () => (await queue.getJob('unsettled-1'))?.getState(),
    (s) => s === 'completed' || s === 'failed',
    { timeoutMs: 60_000, what: 'job unsettled-1' },
  );
  const job = await queue.getJob('unsettled-1');
  expect(state).toBe('failed');
  expect(job?.failedReason).toMatch(/the week of 2026-09-07 has not settled \(RESEARCH_SETTLE_WEEKS=2\)/);
  const manual = await queryRows<{ n: string }>(
    ch,
    `SELECT toString(count()) AS n FROM ${env.config.CLICKHOUSE_DATABASE}_research.publications WHERE trigger = 'manual'`,
  );
  expect(manual).toEqual([{ n: '0' }]);
});

test('a research-refresh job does not run while another holds the run lock', async () => {
  const key = researchLockKey(env.config);
  await redis.set(key, 'job other', 'PX', 60_000);
  try {
    await queue.add('research-refresh', { zone: 'America/Chicago', day: '2026-09-10' }, { jobId: 'locked-1' });
    const state = await waitFor(
      async () => (await queue.getJob('locked-1'))?.getState(),
      (s) => s === 'completed' || s === 'failed',
      { timeoutMs: 60_000, what: 'job locked-1' },
    );
    expect(state).toBe('failed');
    expect((await queue.getJob('locked-1'))?.failedReason).toMatch(
      /another run holds .*research-refresh \(job other\)/,
    );
    expect(await redis.get(key)).toBe('job other'); // not released by the run it refused
  } finally {
    await redis.del(key);
  }
});

test('research-refresh rebuilds the week of the given day with RESEARCH_K', async () => {
  await run('research-refresh', 'refresh-1', '2026-09-10');
  expect(await schoolWeek()).toEqual(SCHOOL_WEEK_K12);
});

test('rollup-compaction compacts the month, and the research week read through it is the same', async () => {
  const results = (await run('rollup-compaction', 'compaction-1', '2026-09-10')) as MonthCompactionResult[];
  expect(results.map((r) => [r.month, r.generation !== null, r.incremental])).toEqual([[202609, true, false]]);
  expect([...(await readCompactionState(ch)).months.keys()]).toEqual([202609]);
  await ch.command({ query: `TRUNCATE TABLE ${env.config.CLICKHOUSE_DATABASE}_research.weekly_app_usage_school` });
  await run('research-refresh', 'refresh-2', '2026-09-10');
  expect(await schoolWeek()).toEqual(SCHOOL_WEEK_K12);
});

test('retention drops the expired months of the policy', async () => {
  const letter = (failedAt: string, offset: number) => ({
    failed_at: failedAt,
    stage: 'ingest',
    source: 'agent',
    district_id: 'd1',
    reason_code: 'invalid',
    reason_field: 'x',
    reason_line: 0,
    reason_message: 'bad',
    payload_sha256: 'ab',
    payload_bytes: 2,
    payload_truncated: 0,
    origin: 'r#0',
    kafka_topic: 'usage.dlq',
    kafka_partition: 0,
    kafka_offset: offset,
    stored_at: failedAt,
  });
  await insertRows(ch, 'dead_letters', [letter('2026-01-05 00:00:00', 0), letter('2026-11-20 00:00:00', 1)]);
  const result = (await run('retention', 'retention-1', '2026-12-03')) as { dropped: Record<string, string[]> };
  expect(result.dropped).toEqual({ dead_letters: ['202601'] });
  const left = await queryRows<{ n: string }>(ch, 'SELECT count() AS n FROM dead_letters');
  expect(left[0]!.n).toBe('1');
});
