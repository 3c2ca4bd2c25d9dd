/**
 * SIGTERM always ends the jobs service promptly with exit code 0, and a job it interrupts is run again
 * later, not lost and not counted as a failed attempt. The real service (dist/main.js) on the real Redis
 * and ClickHouse, at three moments:
 * 1. during start-up (the schedulers are being written: the moment `pipeline-jobs.test.ts` hit in CI);
 * 2. while a webhook delivery is in flight (the receiver holds the POST open);
 * 3. while the nightly snapshot waits for ClickHouse (a proxy withholds the answer to its INSERT);
 * 4. while a delivery is in flight and Redis is down (a private Redis): the job cannot be handed back,
 *    the process exits anyway, and after Redis is back the stalled-job check hands the job on.
 * A stop that hangs is SIGKILLed by the harness after 20 s, so it shows as exit code null.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, startPrivateRedis, waitFor, type TestEnv } from '@edusage/testkit';
import { bullPrefix, JOB, webhookJobId } from '../src';
import { startClickHouseGate, type ClickHouseGate } from './clickhouse-gate';
import { seedActivity, seedLicenses, spawnJobs, startJobs, startReceiver, type ServiceProcess } from './harness';

jest.setTimeout(240_000);

const SECRET = 'a-test-webhook-secret-0123456789';
// Short, so the interrupted job is handed back soon; the long timeouts keep it running meanwhile.
// A 5 s lock: a job of a process that could not hand it back is handed on by the stalled-job check in ~5–10 s.
const STOP_ENV = { JOBS_STOP_GRACE_MS: '500', JOBS_WEBHOOK_TIMEOUT_MS: '120000', JOBS_LOCK_MS: '5000' };

let env: TestEnv;
let ch: ClickHouseClient;
let redis: Redis;
let queue: Queue;
const procs: ServiceProcess[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  env = await createTestEnv('jobs_stop', { kafka: false });
  ch = createClickHouse(env.config);
  redis = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue('edusage-jobs', { connection: redis, prefix: bullPrefix(env.config) });
});
afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const close of closers.splice(0)) await close();
  await queue.obliterate({ force: true });
});
afterAll(async () => {
  await queue?.close();
  redis?.disconnect();
  await ch?.close();
  await env?.cleanup();
});

async function spawn(extra: Record<string, string>, ready = true): Promise<ServiceProcess> {
  const e = { ...env.env, ...STOP_ENV, ...extra };
  const p = ready ? await startJobs(e) : await spawnJobs(e);
  procs.push(p);
  return p;
}

/** SIGTERM, and the exit code (null = it did not stop within 20 s and was SIGKILLed). */
async function terminate(p: ServiceProcess): Promise<number | null> {
  await p.stop('SIGTERM');
  const code = await p.exitCode;
  if (code !== 0) console.error(`exit code ${code}; service log:\n${p.log()}`);
  return code;
}

const finished = (id: string) =>
  waitFor(
    async () => (await queue.getJob(id))?.getState(),
    (state) => state === 'completed' || state === 'failed',
    { timeoutMs: 120_000, what: `job ${id} finished` },
  );

test('SIGTERM during start-up: start-up finishes, then the service stops with exit code 0', async () => {
  for (let round = 0; round < 3; round++) {
    const p = await spawn({ JOBS_OWN_SCHEDULERS: 'true' }, false);
    // The first scheduler written means start-up is under way (the worker is not running yet).
    await waitFor(
      () => queue.getJobSchedulers(0, -1),
      (list) => list.length > 0,
      { timeoutMs: 60_000, what: 'the first scheduler', intervalMs: 5 },
    );
    expect(await terminate(p)).toBe(0);
    await queue.obliterate({ force: true });
  }
});

test('SIGTERM during a webhook delivery: exit code 0; the delivery goes back to the queue and is sent by the next process', async () => {
  const receiver = await startReceiver(0, { holdFirst: true });
  closers.push(() => receiver.close());
  const hookEnv = { JOBS_OWN_SCHEDULERS: 'false', JOBS_WEBHOOK_URL: receiver.url, JOBS_WEBHOOK_SECRET: SECRET };
  const first = await spawn(hookEnv);
  const id = webhookJobId('alert-1');
  const body = JSON.stringify({ type: 'test', alert: { alert_id: 'alert-1' } });
  await queue.add(JOB.webhook, { alertId: 'alert-1', body }, { jobId: id, attempts: 3 });
  expect(await receiver.held).toBe('alert-1');

  expect(await terminate(first)).toBe(0);
  const handedBack = await queue.getJob(id);
  expect(await handedBack?.getState()).toBe('waiting');
  expect(handedBack?.attemptsMade).toBe(0); // interrupted, not failed

  await spawn(hookEnv);
  expect(await finished(id)).toBe('completed');
  expect((await queue.getJob(id))?.attemptsMade).toBe(1);
  expect(receiver.deliveries.map((d) => [d.alertId, d.body, d.status])).toEqual([
    ['alert-1', body, 0], // the POST held open when the first process stopped
    ['alert-1', body, 204],
  ]);
});

test('SIGTERM while the snapshot waits for ClickHouse: exit code 0; the next process runs the snapshot again', async () => {
  const gate: ClickHouseGate = await startClickHouseGate(
    env.config.CLICKHOUSE_URL,
    /INSERT INTO\s+`?license_utilization_snapshots`?/i,
  );
  closers.push(() => gate.close());
  await seedLicenses(ch, 'd1', [
    'L-ixl,ixl,IXL,d1,10,1000,flat,USD,2026-07-01,2027-06-30',
    'L-kami,kami,Kami,d1,4,400,flat,USD,2026-07-01,2027-06-30',
  ]);
  await seedActivity(ch, { districtId: 'd1', schoolId: 's1', day: '2026-11-10', appId: 'ixl', people: ['p1', 'p2'] });
  const first = await spawn({ JOBS_OWN_SCHEDULERS: 'false', CLICKHOUSE_URL: gate.url });
  await queue.add(JOB.snapshot, { zone: 'America/Chicago', day: '2026-11-19' }, { jobId: 'snap', attempts: 3 });
  await gate.held;

  expect(await terminate(first)).toBe(0);
  const handedBack = await queue.getJob('snap');
  expect(await handedBack?.getState()).toBe('waiting');
  expect(handedBack?.attemptsMade).toBe(0);

  await spawn({ JOBS_OWN_SCHEDULERS: 'false' });
  expect(await finished('snap')).toBe('completed');
  // One row per license of the inventory above: the re-run replaced the day, it did not add to it.
  const rows = await queryRows<{ license_id: string; active: string }>(
    ch,
    `SELECT license_id, toString(active) AS active FROM license_utilization_snapshots_latest
     WHERE district_id = 'd1' AND day = '2026-11-19' ORDER BY license_id`,
  );
  expect(rows.map((r) => [r.license_id, Number(r.active)])).toEqual([
    ['L-ixl', 2],
    ['L-kami', 0],
  ]);
});

test('SIGTERM during a delivery while Redis is down: exit code 0; once Redis is back the delivery is sent', async () => {
  const redisServer = await startPrivateRedis();
  const own = await createTestEnv('jobs_stop_redis', { kafka: false, redisUrl: redisServer.url });
  const ownRedis = new Redis(own.config.REDIS_URL, { maxRetriesPerRequest: null });
  ownRedis.on('error', () => undefined); // lives through the Redis restart
  const ownQueue = new Queue('edusage-jobs', { connection: ownRedis, prefix: bullPrefix(own.config) });
  ownQueue.on('error', () => undefined);
  const receiver = await startReceiver(0, { holdFirst: true });
  closers.push(async () => {
    await receiver.close();
    await ownQueue.close();
    ownRedis.disconnect();
    await own.cleanup();
    await redisServer.cleanup();
  });
  const hookEnv = {
    ...own.env,
    ...STOP_ENV,
    JOBS_OWN_SCHEDULERS: 'false',
    JOBS_WEBHOOK_URL: receiver.url,
    JOBS_WEBHOOK_SECRET: SECRET,
  };
  const first = await startJobs(hookEnv);
  procs.push(first);
  const id = webhookJobId('alert-2');
  const body = JSON.stringify({ type: 'test', alert: { alert_id: 'alert-2' } });
  await ownQueue.add(JOB.webhook, { alertId: 'alert-2', body }, { jobId: id, attempts: 3 });
  expect(await receiver.held).toBe('alert-2');
  await redisServer.stop('SIGTERM');

  expect(await terminate(first)).toBe(0);

  await redisServer.start();
  const second = await startJobs(hookEnv);
  procs.push(second);
  // Still active with the dead process's lock: handed on once the lock expired (JOBS_LOCK_MS) and a
  // stalled-job check ran (every JOBS_LOCK_MS).
  const state = await waitFor(
    async () => (await ownQueue.getJob(id))?.getState(),
    (st) => st === 'completed' || st === 'failed',
    { timeoutMs: 150_000, what: 'the delivery finished' },
  );
  expect(state).toBe('completed');
  expect(receiver.deliveries.map((d) => [d.alertId, d.body, d.status])).toEqual([
    ['alert-2', body, 0],
    ['alert-2', body, 204],
  ]);
});
