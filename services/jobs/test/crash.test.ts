/**
 * The jobs process SIGKILLed in the middle of an alert run, at two exact points, then a new process:
 * 1. after ClickHouse stored the run's alerts but before the process learned it (a proxy in front of
 *    ClickHouse withholds the INSERT's answer), so before any delivery was queued;
 * 2. while the webhook receiver holds a delivery open (it read the POST and never answers).
 * BullMQ hands the killed job (its lock expired) to the new process. At the end every due alert is
 * stored exactly once (counted without FINAL, so not merely collapsed by a merge) and delivered; in
 * case 2 the open delivery is sent again with the same alert id and body (at-least-once HTTP: the
 * receiver dedupes on `x-edusage-alert-id`), every other alert exactly once.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { bullPrefix, webhookJobId } from '../src';
import { startClickHouseGate, type ClickHouseGate } from './clickhouse-gate';
import { seedActivity, seedLicenses, startJobs, startReceiver, type ServiceProcess } from './harness';

// A killed job is handed on only once its lock expired and a stalled check saw it: up to ~2 × JOBS_LOCK_MS
// (BullMQ's defaults, 30 s each, would make that up to a minute a case).
jest.setTimeout(300_000);
const LOCK_MS = '5000';

const SECRET = 'a-test-webhook-secret-0123456789';
const DAY = '2026-11-20'; // utilization over 2026-10-21 … 2026-11-19
const ZONE = 'America/Chicago';

/** Written by hand from the licenses below: L-30 renews in 20 days, 1 of 10 seats used; L-60 in 50 days, unused. */
const EXPECTED = [
  { license_id: 'L-30', threshold_days: 30, renewal_date: '2026-12-10' },
  { license_id: 'L-60', threshold_days: 60, renewal_date: '2027-01-09' },
];

interface Setup {
  env: TestEnv;
  ch: ClickHouseClient;
  redis: Redis;
  queue: Queue;
  receiver: Awaited<ReturnType<typeof startReceiver>>;
  procs: ServiceProcess[];
  gate?: ClickHouseGate;
}
const setups: Setup[] = [];

async function setUp(name: string, holdFirstDelivery: boolean): Promise<Setup> {
  const env = await createTestEnv(name, { kafka: false });
  const ch = createClickHouse(env.config);
  await seedLicenses(ch, 'd1', [
    'L-30,ixl,IXL,d1,10,1000,flat,USD,2026-07-01,2026-12-10',
    'L-60,zearn,Zearn,d1,10,1000,flat,USD,2026-07-01,2027-01-09',
    'L-ok,kami,Kami,d1,10,1000,flat,USD,2026-07-01,2026-12-10', // 8 of 10 used: no alert
  ]);
  const school = { districtId: 'd1', schoolId: 's1', day: '2026-11-10' };
  await seedActivity(ch, { ...school, appId: 'ixl', people: ['p1'] });
  await seedActivity(ch, { ...school, appId: 'kami', people: ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'] });
  const redis = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('edusage-jobs', { connection: redis, prefix: bullPrefix(env.config) });
  const receiver = await startReceiver(0, { holdFirst: holdFirstDelivery });
  const setup: Setup = { env, ch, redis, queue, receiver, procs: [] };
  setups.push(setup);
  return setup;
}

const serviceEnv = (s: Setup, extra: Record<string, string> = {}) => ({
  ...s.env.env,
  JOBS_OWN_SCHEDULERS: 'false',
  JOBS_WEBHOOK_URL: s.receiver.url,
  JOBS_WEBHOOK_SECRET: SECRET,
  JOBS_WEBHOOK_BACKOFF_MS: '200',
  JOBS_LOCK_MS: LOCK_MS,
  ...extra,
});

async function start(s: Setup, extra?: Record<string, string>): Promise<ServiceProcess> {
  const p = await startJobs(serviceEnv(s, extra));
  s.procs.push(p);
  return p;
}

/** Resolves with `promise`, or fails naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every stored alert row, without FINAL: a row inserted twice shows twice. */
const storedRows = (s: Setup) =>
  queryRows<{ alert_id: string; license_id: string; threshold_days: number; renewal_date: string }>(
    s.ch,
    `SELECT alert_id, license_id, threshold_days, toString(renewal_date) AS renewal_date
     FROM license_renewal_alerts WHERE district_id = 'd1' ORDER BY license_id`,
  );
const expectStoredOnce = async (s: Setup) => {
  const rows = await storedRows(s);
  expect(rows.map(({ alert_id: _, ...r }) => ({ ...r, threshold_days: Number(r.threshold_days) }))).toEqual(EXPECTED);
  return rows.map((r) => r.alert_id);
};

const jobFinished = (s: Setup, id: string) =>
  waitFor(
    async () => (await s.queue.getJob(id))?.getState(),
    (state) => state === 'completed' || state === 'failed',
    { timeoutMs: 180_000, what: `job ${id} finished` },
  );

const deliveriesSettled = (s: Setup) =>
  waitFor(
    () => s.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized'),
    (c) => Object.values(c).every((n) => n === 0),
    { timeoutMs: 180_000, what: 'webhook deliveries settled' },
  );

afterAll(async () => {
  for (const s of setups) {
    for (const p of s.procs) await p.stop('SIGKILL');
    await s.queue.close();
    s.redis.disconnect();
    await s.receiver.close();
    await s.gate?.close();
    await s.ch.close();
    await s.env.cleanup();
  }
});

test('killed after ClickHouse stored the alerts, before the deliveries were queued: stored once, each delivered once', async () => {
  const s = await setUp('jobs_crash_stored', false);
  s.gate = await startClickHouseGate(s.env.config.CLICKHOUSE_URL, /INSERT INTO\s+`?license_renewal_alerts`?/i);
  const first = await start(s, { CLICKHOUSE_URL: s.gate.url });
  await s.queue.add('renewal-alerts', { zone: ZONE, day: DAY }, { jobId: 'check', attempts: 3 });
  await within(s.gate.held, 120_000, 'the alerts INSERT');
  const ids = await expectStoredOnce(s); // stored, and the process does not know it yet
  await first.stop('SIGKILL');
  expect(s.receiver.deliveries).toHaveLength(0);
  for (const id of ids) expect(await s.queue.getJob(webhookJobId(id))).toBeUndefined();

  const second = await start(s);
  expect(await jobFinished(s, 'check')).toBe('completed');
  await deliveriesSettled(s);
  expect(await expectStoredOnce(s)).toEqual(ids);
  // The new process found the killed one's job stalled, and says so.
  const metrics = await fetch(`${second.base}/metrics`).then((r) => r.text());
  expect(metrics).toMatch(/^edusage_jobs_stalled_total 1$/m);
  expect(s.receiver.deliveries.map((d) => [d.alertId, d.status]).sort()).toEqual(ids.map((id) => [id, 204]).sort());
});

test('killed while the receiver holds a delivery open: stored once; the open one sent again with the same id and body', async () => {
  const s = await setUp('jobs_crash_delivery', true);
  // One job at a time: when the delivery is held nothing else is in flight, so the kill's effect is exact.
  const first = await start(s, { JOBS_CONCURRENCY: '1' });
  await s.queue.add('renewal-alerts', { zone: ZONE, day: DAY }, { jobId: 'check', attempts: 3 });
  const heldId = await within(s.receiver.held, 120_000, 'the first delivery');
  await first.stop('SIGKILL');
  expect(await s.queue.getJob('check').then((j) => j?.getState())).toBe('completed');

  await start(s);
  const ids = await expectStoredOnce(s);
  expect(ids).toContain(heldId);
  await waitFor(
    () => Promise.resolve(ids.filter((id) => s.receiver.deliveries.some((d) => d.alertId === id && d.status === 204))),
    (done) => done.length === ids.length,
    { timeoutMs: 180_000, what: 'every alert delivered' },
  );
  await deliveriesSettled(s);
  for (const id of ids) {
    const attempts = s.receiver.deliveries.filter((d) => d.alertId === id);
    expect(attempts.map((d) => d.status)).toEqual(id === heldId ? [0, 204] : [204]);
    for (const a of attempts) {
      expect(a.body).toBe(attempts[0]!.body);
      expect(a.signature).toBe(attempts[0]!.signature);
    }
  }
  await expectStoredOnce(s);
});
