/**
 * The erasure sweep (in process, real ClickHouse, Redis and the suite's own Kafka topics): a sweep that
 * finished a request folded the rollups again, which invalidates every month's compaction; it queues
 * the one-off compaction at once (the start's `rollup-compaction-at-start`), which compacts those
 * months again, instead of leaving their reads on all their contributions until the hourly schedule.
 * A sweep that folded nothing queues nothing.
 */
import { Worker, type Job, type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createClickHouse, insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import { claimEvents, deriveRollups } from '@edusage/aggregate';
import { newRequest, recordRequest, type FinishResult } from '@edusage/enrich';
import { createLogger } from '@edusage/logging';
import { compactRollups, monthsAwaitingCompaction } from '@edusage/rollups';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { loadJobsConfig } from '../src/config';
import { runErasureSweep } from '../src/erasure-sweep';
import { JOB } from '../src/job-names';
import { jobProcessor, type JobDeps } from '../src/processor';
import { bullPrefix, createQueue } from '../src/queue';

jest.setTimeout(120_000);

const TOPIC = 'usage.enriched';
const key = (n: number) => n.toString(16).padStart(32, '0');

function event(district: string, day: string, offset: number, person: string) {
  return {
    district_id: district,
    local_date: day,
    occurred_at: `${day} 12:00:00`,
    school_id: 'sch-1',
    class_id: '',
    class_attribution: 'none',
    person_id: person,
    person_resolved: 1,
    role: 'student',
    app_id: 'app-a',
    app_resolved: 1,
    app_domain: 'a.example',
    source: 'agent',
    event_type: 'use',
    campus: 'unknown',
    explicit_seconds: 60,
    counts_minute: 0,
    event_id: `e${offset}`,
    dedup_key: key(offset + 1),
    kafka_topic: TOPIC,
    kafka_partition: 0,
    kafka_offset: offset,
    stored_at: '2026-11-20 12:00:01',
  };
}

let env: TestEnv;
let ch: ClickHouseClient;
let redis: Redis;
let queue: Queue;
let deps: JobDeps;

/** Stores and folds events as the aggregate would (claims, rows, rollups up to the last offset). */
async function store(events: ReturnType<typeof event>[]): Promise<void> {
  const claims = events.map((e) => ({ key: e.dedup_key, localDate: e.local_date, offset: String(e.kafka_offset) }));
  await claimEvents(ch, TOPIC, 0, claims);
  await insertRows(ch, 'usage_events', events);
  await deriveRollups(ch, TOPIC, 0, BigInt(Math.max(...events.map((e) => e.kafka_offset)) + 1));
}

const compactionsQueued = async () =>
  (await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed'])).filter(
    (j) => j.name === JOB.rollupCompactionAtStart,
  );

const sweep = (id: string) => runErasureSweep(deps, { id } as Job);

beforeAll(async () => {
  env = await createTestEnv('jobs_erasure_sweep');
  ch = createClickHouse(env.config);
  redis = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  // Short waits: nothing is on the suite's usage.enriched, so the aggregate has nothing to catch up.
  const config = loadJobsConfig({ ...env.env, ENRICH_RELOAD_INTERVAL_MS: '100', ERASURE_SWEEP_WAIT_MS: '10000' });
  queue = createQueue(config, redis);
  deps = { config, ch, queue, redis, logger: createLogger('jobs-test', 'warn') };
});
afterAll(async () => {
  await queue?.close();
  redis?.disconnect();
  await ch?.close();
  await env?.cleanup();
});

test('a sweep that folded again queues a compaction at once, which compacts every month again', async () => {
  // Two districts over three months, all compacted; d2's person x has one event, in November.
  await store([
    event('d1', '2026-09-10', 0, 'a'),
    event('d1', '2026-10-10', 1, 'b'),
    event('d1', '2026-11-10', 2, 'c'),
  ]);
  await store([event('d2', '2026-11-20', 3, 'x')]);
  await compactRollups(ch);
  expect(await monthsAwaitingCompaction(ch)).toEqual([]);

  // An erasure of x asked while the aggregate was down: left unfinished for the sweep.
  const request = newRequest('d2');
  const people = [{ named: 'x', sourcedId: null, personIds: ['x'], shared: 0 }];
  await recordRequest(
    ch,
    { ...request, finished: 0 },
    people.map((p) => ({ ...p, events: 0, results: 0 })),
  );

  const result = (await sweep('sweep-1')) as FinishResult;
  expect(result.districts.map((d) => [d.districtId, d.requests, d.events])).toEqual([['d2', [request.requestId], 1]]);
  expect(result.districts[0]!.refoldedRanges).toBeGreaterThan(0);
  // One erasure in one month invalidated every month's compaction…
  expect((await monthsAwaitingCompaction(ch)).map(String)).toEqual(['202609', '202610', '202611']);
  // …so the sweep queued the one-off compaction, the one a start queues.
  const queued = await compactionsQueued();
  expect(queued.map((j) => j.id?.startsWith(`${JOB.rollupCompactionAtStart}@`))).toEqual([true]);

  // A worker runs it: every month is read through a compaction again.
  const connection = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  const worker = new Worker(deps.config.JOBS_QUEUE, jobProcessor(deps), { connection, prefix: bullPrefix(env.config) });
  try {
    const state = await waitFor(
      () => queued[0]!.getState(),
      (s) => s === 'completed' || s === 'failed',
      { timeoutMs: 60_000, what: 'the compaction queued by the sweep' },
    );
    expect(state).toBe('completed');
  } finally {
    await worker.close();
    connection.disconnect();
  }
  expect(await monthsAwaitingCompaction(ch)).toEqual([]);

  // Nothing left to finish: the next sweep folds nothing and queues nothing.
  expect(await sweep('sweep-2')).toEqual({ districts: [], notYetStored: 0 });
  expect(await compactionsQueued()).toHaveLength(1);
});
