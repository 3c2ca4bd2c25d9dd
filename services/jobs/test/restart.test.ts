/**
 * The service through a Redis restart and a ClickHouse restart (private servers of the test's own):
 * it goes unready while Redis is gone and ready again after; a delivery retrying across the Redis
 * restart and an alert check failing while ClickHouse is down are retried, and each alert ends up
 * stored once and delivered once.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import {
  createTestEnv,
  startPrivateClickHouse,
  startPrivateRedis,
  waitFor,
  type PrivateClickHouse,
  type PrivateRedis,
  type TestEnv,
} from '@edusage/testkit';
import { bullPrefix } from '../src';
import { seedActivity, seedLicenses, startJobs, startReceiver, type ServiceProcess } from './harness';

jest.setTimeout(90_000);

const SECRET = 'a-test-webhook-secret-0123456789';
const DAY = '2026-11-20';

interface Setup {
  env: TestEnv;
  ch: ClickHouseClient;
  redis: Redis;
  queue: Queue;
  receiver: Awaited<ReturnType<typeof startReceiver>>;
  service: ServiceProcess;
}

/** Two licenses renewing within 30 days, barely used: two alerts due on DAY. */
async function setUp(
  name: string,
  opts: { redisUrl?: string; clickhouseUrl?: string },
  failFirst: number,
): Promise<Setup> {
  const env = await createTestEnv(name, { ...opts, kafka: false });
  const ch = createClickHouse(env.config);
  await seedLicenses(ch, 'd1', [
    'L-a,ixl,IXL,d1,10,1000,flat,USD,2026-07-01,2026-12-10',
    'L-b,kami,Kami,d1,10,1000,flat,USD,2026-07-01,2026-12-15',
  ]);
  await seedActivity(ch, { districtId: 'd1', schoolId: 's1', day: '2026-11-10', appId: 'ixl', people: ['p1'] });
  const redis = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // the test's own connection lives through the restart too
  const queue = new Queue('edusage-jobs', { connection: redis, prefix: bullPrefix(env.config) });
  queue.on('error', () => undefined);
  const receiver = await startReceiver(failFirst);
  const service = await startJobs({
    ...env.env,
    JOBS_OWN_SCHEDULERS: 'false',
    JOBS_WEBHOOK_URL: receiver.url,
    JOBS_WEBHOOK_SECRET: SECRET,
    JOBS_WEBHOOK_ATTEMPTS: '20',
    JOBS_WEBHOOK_BACKOFF_MS: '1500',
  });
  return { env, ch, redis, queue, receiver, service };
}

async function tearDown(s: Setup | undefined): Promise<void> {
  if (!s) return;
  await s.service.stop();
  await s.queue.close();
  s.redis.disconnect();
  await s.receiver.close();
  await s.ch.close();
  await s.env.cleanup();
}

const alertRows = (s: Setup, final: boolean) =>
  queryRows<{ license_id: string }>(
    s.ch,
    `SELECT license_id FROM license_renewal_alerts ${final ? 'FINAL' : ''} ORDER BY license_id`,
  );
const succeeded = (s: Setup) => s.receiver.deliveries.filter((d) => d.status === 204).map((d) => d.alertId);
const readyz = (s: Setup) =>
  fetch(`${s.service.base}/readyz`)
    .then(async (r) => ({ status: r.status, body: (await r.json()) as { checks: Record<string, { ok: boolean }> } }))
    .catch(() => ({ status: 0, body: { checks: {} } }));
const settled = (s: Setup) =>
  waitFor(
    () => s.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized'),
    (c) => Object.values(c).every((n) => n === 0),
    { timeoutMs: 60_000, what: 'queue settled' },
  );

describe('Redis restart', () => {
  let redisServer: PrivateRedis;
  let s: Setup;
  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    s = await setUp('jobs_redis_restart', { redisUrl: redisServer.url }, 2);
  });
  afterAll(async () => {
    await tearDown(s);
    await redisServer?.cleanup();
  });

  test('unready while Redis is down; deliveries retrying across the restart arrive once each', async () => {
    await s.queue.add('renewal-alerts', { zone: 'America/Chicago', day: DAY }, { jobId: 'check-1' });
    // Redis goes away while the deliveries wait for their retry.
    await waitFor(
      async () => s.receiver.deliveries.length,
      (n) => n >= 2,
      { timeoutMs: 30_000, what: 'first refused attempts' },
    );
    await redisServer.stop('SIGTERM');
    const down = await waitFor(
      () => readyz(s),
      (r) => r.status === 503,
      { timeoutMs: 30_000, what: 'not ready' },
    );
    expect((down.body.checks as Record<string, { ok: boolean }>)['redis']).toMatchObject({ ok: false });
    await new Promise((r) => setTimeout(r, 2_000));
    await redisServer.start();
    await waitFor(
      () => readyz(s),
      (r) => r.status === 200,
      { timeoutMs: 45_000, what: 'ready again' },
    );
    await waitFor(
      async () => succeeded(s).length,
      (n) => n >= 2,
      { timeoutMs: 60_000, what: 'both alerts delivered' },
    );
    // A check after the restart finds the same alerts and sends nothing new.
    await s.queue.add('renewal-alerts', { zone: 'America/Chicago', day: DAY }, { jobId: 'check-2' });
    await waitFor(
      async () => (await s.queue.getJob('check-2'))?.getState(),
      (st) => st === 'completed',
      { timeoutMs: 30_000, what: 'second check' },
    );
    await settled(s);
    expect(new Set(succeeded(s)).size).toBe(2);
    expect(succeeded(s)).toHaveLength(2);
    expect(await alertRows(s, false)).toEqual([{ license_id: 'L-a' }, { license_id: 'L-b' }]);
  });
});

describe('ClickHouse restart', () => {
  let chServer: PrivateClickHouse;
  let s: Setup;
  beforeAll(async () => {
    chServer = await startPrivateClickHouse();
    s = await setUp('jobs_ch_restart', { clickhouseUrl: chServer.url }, 0);
  });
  afterAll(async () => {
    await tearDown(s);
    await chServer?.cleanup();
  });

  test('an alert check failing while ClickHouse is down is retried and stores and sends each alert once', async () => {
    await chServer.stop('SIGKILL');
    await s.queue.add(
      'renewal-alerts',
      { zone: 'America/Chicago', day: DAY },
      { jobId: 'check-1', attempts: 40, backoff: { type: 'fixed', delay: 1_000 } },
    );
    await waitFor(
      async () => (await s.queue.getJob('check-1'))?.attemptsMade ?? 0,
      (n) => n >= 2,
      { timeoutMs: 45_000, what: 'failed attempts while ClickHouse is down' },
    );
    expect(s.receiver.deliveries).toHaveLength(0);
    await chServer.start();
    await waitFor(
      async () => (await s.queue.getJob('check-1'))?.getState(),
      (st) => st === 'completed',
      { timeoutMs: 60_000, what: 'check completed after the restart' },
    );
    await settled(s);
    expect(await alertRows(s, false)).toEqual([{ license_id: 'L-a' }, { license_id: 'L-b' }]);
    expect(succeeded(s)).toHaveLength(2);
    expect(new Set(succeeded(s)).size).toBe(2);
    const metrics = await fetch(`${s.service.base}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/edusage_jobs_retried_total\{name="renewal-alerts"\} [1-9]/);
  });
});
