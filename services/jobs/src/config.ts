import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import { districtZoneSettings } from '@edusage/enrich';
import { maintenanceEnv } from './maintenance-config';
import { DEFAULT_RENEWAL_RULE } from '@edusage/licenses';

/** "HH:MM" (24 h, district-local) → { hour, minute }. */
const localTime = z
  .string()
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)')
  .transform((s) => ({ hour: Number(s.slice(0, 2)), minute: Number(s.slice(3, 5)) }));

/** "30,60,90" → [30, 60, 90] (sorted, distinct, 1..365). */
const dayList = z.string().transform((s, ctx) => {
  const parts = s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const days = parts.map(Number);
  const bad = parts.find((p, i) => !/^\d+$/.test(p) || days[i]! < 1 || days[i]! > 365);
  if (bad !== undefined || days.length === 0) {
    ctx.addIssue({ code: 'custom', message: `"${bad ?? s}" is not a list of whole days 1..365` });
    return z.NEVER;
  }
  return [...new Set(days)].sort((a, b) => a - b);
});

/** Environment of the jobs service (base variables plus these; docs in services/jobs/README.md). */
export const jobsConfigSchema = baseConfigSchema
  .extend({
    ...districtZoneSettings,
    JOBS_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(8083),
    JOBS_QUEUE: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
      .default('edusage-jobs'),
    /** This process reconciles the job schedulers at boot; exactly one process of a deployment should. */
    JOBS_OWN_SCHEDULERS: z.stringbool().default(true),
    JOBS_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
    /**
     * A job's lock (BullMQ's lockDuration, renewed every half of it while the job runs) and how often
     * a worker looks for jobs whose lock expired (stalledInterval): a job of a process that died is run
     * again by another after about one to two of these. Shorter hands such jobs on sooner, but a job
     * whose process blocks its event loop for about half of it loses its lock and is run again beside
     * itself (BullMQ's maxStalledCount 1: a one-off job that lapses twice fails). Below ~15 s: tests.
     */
    JOBS_LOCK_MS: z.coerce.number().int().min(5_000).max(600_000).default(30_000),
    /**
     * On SIGTERM, how long the jobs in hand may run on; then they are handed back to the queue (run again
     * from the start by the next worker, no attempt spent). At most 20 s: the whole stop must fit in 30 s.
     */
    JOBS_STOP_GRACE_MS: z.coerce.number().int().min(0).max(20_000).default(15_000),
    /** Attempts of a scheduled job (ClickHouse down, …), with exponential backoff from JOBS_RETRY_DELAY_MS. */
    JOBS_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
    JOBS_RETRY_DELAY_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
    /** District-local time of the nightly utilization snapshot (of the previous local day). */
    JOBS_SNAPSHOT_AT: localTime.default({ hour: 2, minute: 0 }),
    /** Days of usage each snapshot covers (the report's `<n>d` window ending on the snapshot day). */
    JOBS_SNAPSHOT_WINDOW_DAYS: z.coerce.number().int().min(1).max(3660).default(30),
    /**
     * A scheduled snapshot first waits up to this long for enrich and the aggregate to take what is on
     * its way (their consumer groups, ENRICH_GROUP_ID and AGGREGATE_GROUP_ID); 0: no wait.
     */
    JOBS_SNAPSHOT_WAIT_MS: z.coerce.number().int().min(0).max(3_600_000).default(900_000),
    /** District-local time of the daily renewal alert check. */
    JOBS_RENEWAL_ALERTS_AT: localTime.default({ hour: 6, minute: 0 }),
    JOBS_RENEWAL_ALERT_DAYS: dayList.default([...DEFAULT_RENEWAL_RULE.thresholds]),
    /** A license renewing soon is alerted on when its used share is below this. */
    JOBS_RENEWAL_UTILIZATION_BELOW: z.coerce.number().min(0).max(1).default(DEFAULT_RENEWAL_RULE.usedShareBelow),
    /** Days of usage the alert's utilization covers (ending the day before the check). */
    JOBS_RENEWAL_WINDOW_DAYS: z.coerce.number().int().min(1).max(3660).default(DEFAULT_RENEWAL_RULE.windowDays),
    /** Where alerts are POSTed (unset = no webhook, alerts are still stored and logged). */
    JOBS_WEBHOOK_URL: z.url().optional(),
    /** HMAC-SHA256 key of the X-Edusage-Signature header. Required with JOBS_WEBHOOK_URL; never logged. */
    JOBS_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    JOBS_WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
    JOBS_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
    JOBS_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    ...maintenanceEnv,
  })
  .superRefine((c, ctx) => {
    if (c.JOBS_WEBHOOK_URL !== undefined && c.JOBS_WEBHOOK_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['JOBS_WEBHOOK_SECRET'], message: 'is required with JOBS_WEBHOOK_URL' });
    }
  });
export type JobsConfig = z.infer<typeof jobsConfigSchema>;

export function loadJobsConfig(env: NodeJS.ProcessEnv = process.env): JobsConfig {
  return loadConfig(jobsConfigSchema, env);
}
