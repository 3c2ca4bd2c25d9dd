/** The alert rule's boundaries and the configuration's errors, with expectations written by hand. */
import { ConfigError } from '@edusage/config';
import type { LicenseMetrics, StoredLicense } from '@edusage/licenses';
import { Redis } from 'ioredis';
import { alertId, createWorker, dueAlerts, loadJobsConfig } from '../src';

const metrics = (
  license_id: string,
  renewal_date: string,
  used_share: number,
  term_end = '2027-06-30',
): LicenseMetrics =>
  ({
    license: {
      license_id,
      app_id: 'ixl',
      renewal_date,
      term_end,
      seats: 10,
      unlimited_seats: 0,
      currency: 'USD',
    } as StoredLicense,
    used_share,
    utilization: used_share,
    active: used_share * 10,
    total_cost: 100,
  }) as LicenseMetrics;

const rule = { thresholds: [30, 60, 90], usedShareBelow: 0.5 };
const due = (ms: LicenseMetrics[]) =>
  dueAlerts(ms, 'd1', '2026-11-20', { from: '2026-10-21', to: '2026-11-19' }, rule, 0).map((a) => [
    a.license_id,
    a.threshold_days,
    a.days_to_renewal,
  ]);

test('the tightest threshold holding the days to renewal; none past the renewal or beyond the widest', () => {
  expect(
    due([
      metrics('today', '2026-11-20', 0), // 0 days
      metrics('at30', '2026-12-20', 0), // exactly 30 days
      metrics('at31', '2026-12-21', 0), // 31 days → the 60 threshold
      metrics('at90', '2027-02-18', 0),
      metrics('at91', '2027-02-19', 0),
      metrics('past', '2026-11-19', 0),
      metrics('term-end', '', 0, '2026-12-01'), // no renewal date: the term end, 11 days
    ]),
  ).toEqual([
    ['today', 30, 0],
    ['at30', 30, 30],
    ['at31', 60, 31],
    ['at90', 90, 90],
    ['term-end', 30, 11],
  ]);
});

test('used share below the threshold only', () => {
  expect(due([metrics('half', '2026-12-01', 0.5), metrics('under', '2026-12-01', 0.49)])).toEqual([['under', 30, 11]]);
});

test('the alert id depends on district, license, threshold and renewal date only', () => {
  const id = alertId('d1', 'L', 30, '2026-12-01');
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  expect(alertId('d1', 'L', 30, '2026-12-01')).toBe(id);
  for (const other of [
    alertId('d2', 'L', 30, '2026-12-01'),
    alertId('d1', 'L2', 30, '2026-12-01'),
    alertId('d1', 'L', 60, '2026-12-01'),
    alertId('d1', 'L', 30, '2026-12-02'),
  ]) {
    expect(other).not.toBe(id);
  }
});

test("the job lock goes to BullMQ's worker: its lock and its stalled-job check", async () => {
  // Never connected (lazy, and the workers never run): only their options are read.
  const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    lazyConnect: true,
    maxRetriesPerRequest: null,
  });
  const worker = createWorker(loadJobsConfig({ JOBS_LOCK_MS: '5000' }), connection, async () => undefined);
  try {
    expect([worker.opts.lockDuration, worker.opts.stalledInterval]).toEqual([5000, 5000]);
    const byDefault = createWorker(loadJobsConfig({}), connection, async () => undefined);
    expect([byDefault.opts.lockDuration, byDefault.opts.stalledInterval]).toEqual([30_000, 30_000]);
    await byDefault.close(true);
  } finally {
    await worker.close(true);
    connection.disconnect();
  }
});

test('configuration errors name the variable', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadJobsConfig(env);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems.map((p) => p.variable).sort();
    }
  };
  expect(problems({})).toEqual([]);
  expect(problems({ JOBS_WEBHOOK_URL: 'http://127.0.0.1:9/hook' })).toEqual(['JOBS_WEBHOOK_SECRET']);
  expect(problems({ JOBS_RENEWAL_ALERT_DAYS: '30,sixty' })).toEqual(['JOBS_RENEWAL_ALERT_DAYS']);
  expect(problems({ JOBS_RENEWAL_ALERT_DAYS: '0,30' })).toEqual(['JOBS_RENEWAL_ALERT_DAYS']);
  expect(problems({ JOBS_SNAPSHOT_AT: '24:00' })).toEqual(['JOBS_SNAPSHOT_AT']);
  expect(problems({ DISTRICT_TIMEZONES: 'd1=Mars/Base' })).toEqual(['DISTRICT_TIMEZONES']);
  expect(problems({ JOBS_RENEWAL_UTILIZATION_BELOW: '1.5' })).toEqual(['JOBS_RENEWAL_UTILIZATION_BELOW']);
  expect(problems({ JOBS_LOCK_MS: '2000' })).toEqual(['JOBS_LOCK_MS']);
  expect(loadJobsConfig({ JOBS_RENEWAL_ALERT_DAYS: '90, 30,60,30' }).JOBS_RENEWAL_ALERT_DAYS).toEqual([30, 60, 90]);
});
