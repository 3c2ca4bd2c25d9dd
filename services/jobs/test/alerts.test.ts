/**
 * Renewal alerts on the real ClickHouse and Redis with the built service: the alerts due are exactly
 * the ones written by hand from the licenses' renewal dates and use; a re-run and two processes running
 * at once store each alert once (read with FINAL) and deliver its webhook once, after the receiver
 * refused the first attempts, with a valid HMAC-SHA256 signature.
 */
import { createHmac } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { bullPrefix } from '../src';
import { seedActivity, seedLicenses, startJobs, startReceiver, type ServiceProcess } from './harness';

jest.setTimeout(90_000);

const SECRET = 'a-test-webhook-secret-0123456789';
const DAY = '2026-11-20'; // the check's day: utilization over 2026-10-21 … 2026-11-19
const ZONE = 'America/Chicago';

let env: TestEnv;
let ch: ClickHouseClient;
let redis: Redis;
let queue: Queue;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let serviceEnv: Record<string, string>;
const procs: ServiceProcess[] = [];

async function seedDistrict(districtId: string): Promise<void> {
  await seedLicenses(
    ch,
    districtId,
    [
      'L-low,ixl,IXL,DIST,10,1000,flat,USD,2026-07-01,2026-12-10', // 20 days, 2 of 10 used → 30-day alert
      'L-ok,kami,Kami,DIST,4,1000,flat,USD,2026-07-01,2027-01-04', // 45 days, 3 of 4 used → none
      'L-mid,zearn,Zearn,DIST,10,1000,flat,USD,2026-07-01,2027-01-09', // 50 days, 1 of 10 → 60-day alert
      'L-edge,quizlet,Quizlet,DIST,2,1000,flat,USD,2026-07-01,2027-02-18', // 90 days, 1 of 2 = 50 % → none
      'L-90,brainpop,BrainPOP,DIST,10,1000,flat,USD,2026-07-01,2027-02-18', // 90 days, unused → 90-day alert
      'L-far,newsela,Newsela,DIST,10,1000,flat,USD,2026-07-01,2027-06-08', // 200 days → none
    ].map((l) => l.replace('DIST', districtId)),
  );
  const act = (appId: string, people: string[], day = '2026-11-10') =>
    seedActivity(ch, { districtId, schoolId: 's1', day, appId, people });
  await act('ixl', ['p1', 'p2']);
  await act('ixl', ['p1'], '2026-11-12'); // the same person again: still 2 distinct
  await act('kami', ['p1', 'p2', 'p3']);
  await act('zearn', ['p4']);
  await act('zearn', ['p5', 'p6', 'p7'], '2026-11-20'); // the check's own day: outside the window
  await act('quizlet', ['p1']);
}

const expected = (districtId: string) => [
  {
    district_id: districtId,
    license_id: 'L-90',
    threshold_days: 90,
    renewal_date: '2027-02-18',
    days_to_renewal: 90,
    used_share: 0,
  },
  {
    district_id: districtId,
    license_id: 'L-low',
    threshold_days: 30,
    renewal_date: '2026-12-10',
    days_to_renewal: 20,
    used_share: 0.2,
  },
  {
    district_id: districtId,
    license_id: 'L-mid',
    threshold_days: 60,
    renewal_date: '2027-01-09',
    days_to_renewal: 50,
    used_share: 0.1,
  },
];

type AlertRow = {
  alert_id: string;
  district_id: string;
  license_id: string;
  threshold_days: number;
  renewal_date: string;
  days_to_renewal: number;
  used_share: number;
};
const alerts = (districtId: string, final: boolean) =>
  queryRows<AlertRow>(
    ch,
    `SELECT alert_id, district_id, license_id, threshold_days, toString(renewal_date) AS renewal_date, days_to_renewal, used_share
     FROM license_renewal_alerts ${final ? 'FINAL' : ''} WHERE district_id = '${districtId}' ORDER BY license_id`,
  );
const strip = (rows: AlertRow[]) =>
  rows.map(({ alert_id: _, ...r }) => ({
    ...r,
    threshold_days: Number(r.threshold_days),
    days_to_renewal: Number(r.days_to_renewal),
  }));

async function runJob(id: string): Promise<void> {
  await queue.add('renewal-alerts', { zone: ZONE, day: DAY }, { jobId: id, attempts: 3 });
  await waitFor(
    async () => (await queue.getJob(id))?.getState(),
    (s) => s === 'completed' || s === 'failed',
    { timeoutMs: 60_000, what: `job ${id}` },
  ).then((s) => expect(s).toBe('completed'));
}

/** Waits until no delivery is waiting or retrying. */
const deliveriesSettled = () =>
  waitFor(
    () => queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized'),
    (c) => Object.values(c).every((n) => n === 0),
    { timeoutMs: 60_000, what: 'webhook deliveries settled' },
  );

const delivered = (ids: string[]) => receiver.deliveries.filter((d) => d.status === 204 && ids.includes(d.alertId));

beforeAll(async () => {
  env = await createTestEnv('jobs_alerts', { kafka: false });
  ch = createClickHouse(env.config);
  redis = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue('edusage-jobs', { connection: redis, prefix: bullPrefix(env.config) });
  receiver = await startReceiver(3);
  serviceEnv = {
    ...env.env,
    JOBS_OWN_SCHEDULERS: 'false',
    JOBS_WEBHOOK_URL: receiver.url,
    JOBS_WEBHOOK_SECRET: SECRET,
    JOBS_WEBHOOK_ATTEMPTS: '6',
    JOBS_WEBHOOK_BACKOFF_MS: '200',
  };
  await seedDistrict('d1');
  procs.push(await startJobs(serviceEnv));
});
afterAll(async () => {
  for (const p of procs) await p.stop();
  await queue?.close();
  redis?.disconnect();
  await receiver?.close();
  await ch?.close();
  await env?.cleanup();
});

test('the due alerts, stored once and delivered once, signed, after three refused attempts (500 three times); a re-run adds nothing', async () => {
  await runJob('check-1');
  expect(strip(await alerts('d1', true))).toEqual(expected('d1'));
  const ids = (await alerts('d1', true)).map((a) => a.alert_id);
  await waitFor(
    async () => delivered(ids).length,
    (n) => n === 3,
    { timeoutMs: 60_000, what: '3 deliveries' },
  );
  await deliveriesSettled();

  // A re-run of the same day: nothing stored twice (not even before a merge), nothing sent again.
  await runJob('check-2');
  await deliveriesSettled();
  expect(await alerts('d1', false)).toHaveLength(3);
  for (const id of ids) {
    const attempts = receiver.deliveries.filter((d) => d.alertId === id);
    expect(attempts.map((d) => d.status)).toEqual([500, 500, 500, 204]);
    // Every attempt carries the same body, signed with the secret.
    for (const d of attempts) {
      expect(d.signature).toBe(`sha256=${createHmac('sha256', SECRET).update(d.body).digest('hex')}`);
      expect(d.body).toBe(attempts[0]!.body);
    }
    const body = JSON.parse(attempts[0]!.body) as { alert: { alert_id: string; license_id: string } };
    expect(body.alert.alert_id).toBe(id);
  }
  // The counters move when the worker hears back from Redis, after the job shows completed there.
  const metrics = await waitFor(
    () => fetch(`${procs[0]!.base}/metrics`).then((r) => r.text()),
    (t) =>
      /edusage_jobs_completed_total\{name="renewal-webhook"\} 3/.test(t) &&
      /edusage_jobs_completed_total\{name="renewal-alerts"\} 2/.test(t),
    { what: 'the jobs counted in /metrics', timeoutMs: 15_000 },
  ).catch(() => fetch(`${procs[0]!.base}/metrics`).then((r) => r.text()));
  expect(metrics).toMatch(/edusage_jobs_completed_total\{name="renewal-webhook"\} 3/);
  expect(metrics).toMatch(/edusage_jobs_retried_total\{name="renewal-webhook"\} 9/);
  expect(metrics).toMatch(/edusage_jobs_completed_total\{name="renewal-alerts"\} 2/);
});

test('two processes checking the same day at once: each alert stored and delivered once', async () => {
  await seedDistrict('d2');
  procs.push(await startJobs(serviceEnv));
  await Promise.all([runJob('race-1'), runJob('race-2'), runJob('race-3'), runJob('race-4')]);
  await deliveriesSettled();
  const rows = await alerts('d2', true);
  expect(strip(rows)).toEqual(expected('d2'));
  const ids = rows.map((a) => a.alert_id);
  expect(delivered(ids)).toHaveLength(3);
  expect(new Set(delivered(ids).map((d) => d.alertId)).size).toBe(3);
  // d1's alerts were due again in these runs and were not sent again.
  expect(receiver.deliveries.filter((d) => d.status === 204)).toHaveLength(6);
});

test('a delivered alert still due is not sent again once BullMQ has trimmed its completed job', async () => {
  // d1's alerts were delivered by the first test (each answered 204 once) and are still due on DAY.
  const d1 = (await alerts('d1', true)).map((a) => a.alert_id);
  const recorded = await queryRows<{ alert_id: string; http_status: number }>(
    ch,
    `SELECT alert_id, http_status FROM license_alert_deliveries FINAL WHERE district_id = 'd1' ORDER BY alert_id`,
  );
  expect(recorded.map((r) => [r.alert_id, Number(r.http_status)])).toEqual([...d1].sort().map((id) => [id, 204]));
  const attemptsBefore = receiver.deliveries.filter((d) => d1.includes(d.alertId)).length;
  // The queue's completed list is trimmed by count across all its jobs (the frequent maintenance jobs'
  // `removeOnComplete: { count }`): here all at once.
  await queue.clean(0, 100_000, 'completed');
  expect(await queue.getJob(`webhook-${d1[0]}`)).toBeUndefined();
  await runJob('check-after-trim');
  await deliveriesSettled();
  expect(receiver.deliveries.filter((d) => d1.includes(d.alertId))).toHaveLength(attemptsBefore);
});
