/**
 * Scheduler reconciliation on the real Redis (the suite's own prefix): the desired schedulers are
 * added, a changed time replaces the stored pattern, and schedulers no longer configured are removed;
 * the service does the same at boot.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '@edusage/logging';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { bullPrefix, desiredSchedulers, loadJobsConfig, reconcileSchedulers } from '../src';
import { startJobs } from './harness';

jest.setTimeout(90_000);

let env: TestEnv;
let redis: Redis;
let queue: Queue;
const logger = createLogger('jobs-schedules-test', 'warn');
const jobOpts = { attempts: 3, backoffMs: 1000 };

beforeAll(async () => {
  env = await createTestEnv('jobs_schedules', { kafka: false });
  redis = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue('edusage-jobs', { connection: redis, prefix: bullPrefix(env.config) });
});
afterAll(async () => {
  await queue?.close();
  redis?.disconnect();
  await env?.cleanup();
});

const stored = async () =>
  (await queue.getJobSchedulers(0, -1))
    .map((s) => ({ id: s.id ?? s.key, name: s.name, pattern: s.pattern, tz: s.tz }))
    .sort((a, b) => a.id.localeCompare(b.id));

test('added, changed and removed', async () => {
  // A scheduler left by an older configuration.
  await queue.upsertJobScheduler('retired-job@UTC', { pattern: '0 1 * * *', tz: 'UTC' }, { name: 'retired-job' });
  const two = loadJobsConfig({ ...env.env, DISTRICT_TIMEZONES: 'd1=America/New_York,d2=America/Chicago' });
  const first = await reconcileSchedulers(queue, desiredSchedulers(two), jobOpts, logger);
  expect(first.removed).toEqual(['retired-job@UTC']);
  expect(await stored()).toEqual([
    { id: 'erasure-sweep', name: 'erasure-sweep', pattern: '*/10 * * * *', tz: 'America/Chicago' },
    { id: 'license-snapshot@America/Chicago', name: 'license-snapshot', pattern: '0 2 * * *', tz: 'America/Chicago' },
    { id: 'license-snapshot@America/New_York', name: 'license-snapshot', pattern: '0 2 * * *', tz: 'America/New_York' },
    { id: 'renewal-alerts@America/Chicago', name: 'renewal-alerts', pattern: '0 6 * * *', tz: 'America/Chicago' },
    { id: 'renewal-alerts@America/New_York', name: 'renewal-alerts', pattern: '0 6 * * *', tz: 'America/New_York' },
    { id: 'research-refresh', name: 'research-refresh', pattern: '0 4 * * *', tz: 'America/Chicago' },
    { id: 'retention', name: 'retention', pattern: '30 3 * * *', tz: 'America/Chicago' },
    { id: 'rollup-compaction', name: 'rollup-compaction', pattern: '0 * * * *', tz: 'America/Chicago' },
  ]);

  // New York's district leaves, the snapshot moves to 03:30 and compaction runs every 15 minutes.
  const one = loadJobsConfig({
    ...env.env,
    DISTRICT_TIMEZONES: 'd2=America/Chicago',
    JOBS_SNAPSHOT_AT: '03:30',
    ROLLUP_COMPACTION_MINUTES: '15',
    ERASURE_SWEEP_MINUTES: '5',
  });
  const second = await reconcileSchedulers(queue, desiredSchedulers(one), jobOpts, logger);
  expect(second.removed.sort()).toEqual(['license-snapshot@America/New_York', 'renewal-alerts@America/New_York']);
  expect(await stored()).toEqual([
    { id: 'erasure-sweep', name: 'erasure-sweep', pattern: '*/5 * * * *', tz: 'America/Chicago' },
    { id: 'license-snapshot@America/Chicago', name: 'license-snapshot', pattern: '30 3 * * *', tz: 'America/Chicago' },
    { id: 'renewal-alerts@America/Chicago', name: 'renewal-alerts', pattern: '0 6 * * *', tz: 'America/Chicago' },
    { id: 'research-refresh', name: 'research-refresh', pattern: '0 4 * * *', tz: 'America/Chicago' },
    { id: 'retention', name: 'retention', pattern: '30 3 * * *', tz: 'America/Chicago' },
    { id: 'rollup-compaction', name: 'rollup-compaction', pattern: '*/15 * * * *', tz: 'America/Chicago' },
  ]);
  // One pending job per scheduler (the changed one replaced, not added beside the old one), due at
  // 03:30 Chicago time for the snapshot.
  const delayed = await queue.getDelayed();
  expect(delayed.map((j) => j.name).sort()).toEqual([
    'erasure-sweep',
    'license-snapshot',
    'renewal-alerts',
    'research-refresh',
    'retention',
    'rollup-compaction',
  ]);
  const snapshotJob = delayed.find((j) => j.name === 'license-snapshot')!;
  const due = new Date(snapshotJob.timestamp + snapshotJob.delay);
  const hm = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'America/Chicago',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(due);
  expect(hm).toBe('03:30');
});

test('an unchanged scheduler is left alone at boot: a run that came due while no process ran is not lost', async () => {
  // Every second, so that its pending run is overdue after a short wait with no worker running (as a
  // daily snapshot is after the process was down across 02:00).
  const desired = [
    { id: 'overdue-test@UTC', name: 'overdue-test', pattern: '* * * * * *', tz: 'UTC', data: { zone: 'UTC' } },
  ];
  const pendingOf = async () => (await queue.getDelayed()).filter((j) => j.name === 'overdue-test').map((j) => j.id);
  expect((await reconcileSchedulers(queue, desired, jobOpts, logger)).upserted).toEqual(['overdue-test@UTC']);
  const pending = await pendingOf();
  expect(pending).toHaveLength(1);
  await new Promise((r) => setTimeout(r, 2_100));
  const again = await reconcileSchedulers(queue, desired, jobOpts, logger);
  // The overdue run is still there, to run as soon as a worker takes it.
  expect(await pendingOf()).toEqual(pending);
  expect([again.upserted, again.kept]).toEqual([[], ['overdue-test@UTC']]);
  // Changed options replace it.
  const changed = await reconcileSchedulers(queue, desired, { ...jobOpts, attempts: 4 }, logger);
  expect(changed.upserted).toEqual(['overdue-test@UTC']);
  expect(await pendingOf()).not.toEqual(pending);
  await queue.removeJobScheduler('overdue-test@UTC');
});

test('the service reconciles at boot; a process not owning the schedulers leaves them alone', async () => {
  await queue.upsertJobScheduler('another-retired@UTC', { pattern: '0 1 * * *', tz: 'UTC' }, { name: 'retired-job' });
  const notOwner = await startJobs({ ...env.env, JOBS_OWN_SCHEDULERS: 'false', DEFAULT_TIMEZONE: 'Europe/Paris' });
  await notOwner.stop();
  expect((await stored()).map((s) => s.id)).toContain('another-retired@UTC');

  const owner = await startJobs({ ...env.env, DEFAULT_TIMEZONE: 'Europe/Paris', JOBS_RENEWAL_ALERTS_AT: '07:15' });
  try {
    expect(await stored()).toEqual([
      { id: 'erasure-sweep', name: 'erasure-sweep', pattern: '*/10 * * * *', tz: 'Europe/Paris' },
      { id: 'license-snapshot@Europe/Paris', name: 'license-snapshot', pattern: '0 2 * * *', tz: 'Europe/Paris' },
      { id: 'renewal-alerts@Europe/Paris', name: 'renewal-alerts', pattern: '15 7 * * *', tz: 'Europe/Paris' },
      { id: 'research-refresh', name: 'research-refresh', pattern: '0 4 * * *', tz: 'Europe/Paris' },
      { id: 'retention', name: 'retention', pattern: '30 3 * * *', tz: 'Europe/Paris' },
      { id: 'rollup-compaction', name: 'rollup-compaction', pattern: '0 * * * *', tz: 'Europe/Paris' },
    ]);
    const ready = await fetch(`${owner.base}/readyz`).then(
      (r) => r.json() as Promise<{ checks: Record<string, { ok: boolean }> }>,
    );
    expect(ready.checks).toMatchObject({ redis: { ok: true }, worker: { ok: true } });

    // Run the pending snapshot now: it snapshots the Paris day before the one it was due on.
    const pending = (await queue.getDelayed()).find((j) => j.name === 'license-snapshot')!;
    const dueMs = pending.timestamp + pending.delay;
    await pending.promote();
    const done = await waitFor(
      async () => (await queue.getJob(pending.id!))?.returnvalue as { day: string } | undefined,
      (r) => r !== undefined && r !== null,
      { timeoutMs: 30_000, what: 'promoted snapshot completed' },
    );
    const parisDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date(dueMs));
    const before = new Date(`${parisDay}T00:00:00Z`);
    before.setUTCDate(before.getUTCDate() - 1);
    expect(done!.day).toBe(before.toISOString().slice(0, 10));
    // The scheduler goes on: its next run is queued.
    await waitFor(
      async () => (await queue.getDelayed()).filter((j) => j.name === 'license-snapshot').length,
      (n) => n === 1,
      { timeoutMs: 10_000, what: 'next snapshot queued' },
    );
  } finally {
    await owner.stop();
  }
});

test('a compaction or sweep interval that does not divide the hour is refused, naming the variable', () => {
  expect(() => loadJobsConfig({ ...env.env, ROLLUP_COMPACTION_MINUTES: '7' })).toThrow(
    /ROLLUP_COMPACTION_MINUTES.*divide 60/s,
  );
  expect(() => loadJobsConfig({ ...env.env, ERASURE_SWEEP_MINUTES: '45' })).toThrow(
    /ERASURE_SWEEP_MINUTES.*divide 60/s,
  );
});
