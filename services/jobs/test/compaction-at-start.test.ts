/**
 * The jobs service (built, real ClickHouse and Redis) compacts at start when a month holding rollups
 * has no usable compaction, rather than leaving that month's reads on its contributions until the next
 * scheduled run: on first start with uncompacted rollups, and after every compaction was invalidated
 * (a re-fold). With every month compacted a start adds no job, nor does a process that does not own
 * the schedulers.
 */
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { invalidateCompactions, monthsAwaitingCompaction, readCompactionState } from '@edusage/rollups';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { storeDistrict } from '../../../packages/research/test/fixtures';
import { bullPrefix } from '../src';
import { startJobs, type ServiceProcess } from './harness';

jest.setTimeout(120_000);

let env: TestEnv;
let ch: ClickHouseClient;
let redis: Redis;
let queue: Queue;
let service: ServiceProcess | undefined;

const START_JOB = 'rollup-compaction-at-start@';

/** The start-up compaction jobs in the queue, in any state. */
async function startJobsQueued(): Promise<Job[]> {
  const all = await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized']);
  return all.filter((j) => j.id?.startsWith(START_JOB));
}

/** Starts the service (by default as the schedulers' owner); returns once it is ready (its start-up check is done). */
async function start(owner = true): Promise<void> {
  await service?.stop();
  service = await startJobs({ ...env.env, JOBS_OWN_SCHEDULERS: String(owner) });
}

/** Waits until the start-up job `n` (1-based) has completed. */
async function startJobCompleted(n: number): Promise<void> {
  const jobs = await waitFor(
    async () => {
      const list = await startJobsQueued();
      return Promise.all(list.map(async (j) => ({ id: j.id, state: await j.getState(), reason: j.failedReason })));
    },
    (list) => list.length >= n && list.every((j) => j.state === 'completed' || j.state === 'failed'),
    { timeoutMs: 60_000, what: `start-up compaction job ${n}` },
  );
  expect(jobs.filter((j) => j.state !== 'completed')).toEqual([]);
  expect(jobs).toHaveLength(n);
}

beforeAll(async () => {
  env = await createTestEnv('jobs_compact_start', { kafka: false });
  ch = createClickHouse(env.config);
  redis = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue('edusage-jobs', { connection: redis, prefix: bullPrefix(env.config) });
  await storeDistrict(ch);
});
afterAll(async () => {
  await service?.stop();
  await queue?.close();
  redis?.disconnect();
  await ch?.close();
  await env?.cleanup();
});

test('a start compacts the months no reader can read through a compaction, and only those', async () => {
  const months = await monthsAwaitingCompaction(ch);
  expect(months.length).toBeGreaterThan(0);

  await start();
  await startJobCompleted(1);
  expect(await monthsAwaitingCompaction(ch)).toEqual([]);
  expect([...(await readCompactionState(ch)).months.keys()]).toEqual(months);

  // Every month compacted: a restart adds no job.
  await start();
  expect(await startJobsQueued()).toHaveLength(1);

  // Every compaction invalidated (as by a re-fold): the next start compacts again. Stopped first, so
  // its hourly schedule cannot compact in between.
  await service!.stop();
  service = undefined;
  await invalidateCompactions(ch, 'compaction-at-start test');
  expect(await monthsAwaitingCompaction(ch)).toEqual(months);
  await start();
  await startJobCompleted(2);
  expect(await monthsAwaitingCompaction(ch)).toEqual([]);
});

test('a process that does not own the schedulers adds no start-up job', async () => {
  await service?.stop();
  service = undefined;
  await invalidateCompactions(ch, 'compaction-at-start test, not owner');
  const before = (await startJobsQueued()).length;
  await start(false);
  expect(await startJobsQueued()).toHaveLength(before);
  expect((await monthsAwaitingCompaction(ch)).length).toBeGreaterThan(0);
});
