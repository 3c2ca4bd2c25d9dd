/**
 * Environment of the research refresh and the retention job (added to the jobs service's config;
 * docs in services/jobs/README.md).
 */
import { z } from 'zod';
import { DEFAULT_K, MIN_K, parseGoals } from '@edusage/research';
import { DEFAULT_RETENTION_POLICY, parseRetentionPolicy } from './retention';

const localTime = z
  .string()
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)')
  .transform((s) => ({ hour: Number(s.slice(0, 2)), minute: Number(s.slice(3, 5)) }));

const retentionPolicy = z.string().transform((text, ctx) => {
  try {
    return parseRetentionPolicy(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const goals = z.string().transform((text, ctx) => {
  try {
    return parseGoals(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^--goal: /, '') });
    return z.NEVER;
  }
});

const minutesDividing60 = z.coerce
  .number()
  .int()
  .refine((n) => n >= 1 && 60 % n === 0, 'must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)');

export const maintenanceEnv = {
  /** The research database; '' = <CLICKHOUSE_DATABASE>_research (edusage_research by default). */
  RESEARCH_DATABASE: z
    .string()
    .regex(/^([A-Za-z_][A-Za-z0-9_]*)?$/, 'letters, digits and _ only')
    .default(''),
  /** Cells of fewer than k distinct people are suppressed; never below 5. */
  RESEARCH_K: z.coerce.number().int().min(MIN_K, `must be at least ${MIN_K}`).default(DEFAULT_K),
  /**
   * Weeks a complete week waits for late events and rosters before the daily refresh publishes it, once
   * (a school year's outcome bands: weeks after June 30). See packages/research publish.ts. At most 8:
   * a year's bands read its events, which retention drops after 13 months by default.
   */
  RESEARCH_SETTLE_WEEKS: z.coerce.number().int().min(0).max(8).default(2),
  /** Replaced by RESEARCH_SETTLE_WEEKS: refused, so a deployment that set it learns its meaning changed. */
  RESEARCH_REFRESH_WEEKS: z
    .undefined({
      error:
        'no longer read: weeks are published once, after RESEARCH_SETTLE_WEEKS weeks, instead of rebuilt every day (docs/DATA_DICTIONARY.md "Publication")',
    })
    .optional(),
  /** Weekly goals of the outcome bands, engaged minutes per app: "ixl=45,newsela=20" (others: 30). */
  RESEARCH_GOALS: goals.default(new Map()),
  /** DEFAULT_TIMEZONE time of the daily research refresh. */
  RESEARCH_REFRESH_AT: localTime.default({ hour: 4, minute: 0 }),
  /** <table>=<n>m|<n>d, comma-separated: months or days kept per table (docs/ARCHITECTURE.md "Retention"). */
  RETENTION_POLICY: retentionPolicy.default(parseRetentionPolicy(DEFAULT_RETENTION_POLICY)),
  /** DEFAULT_TIMEZONE time of the nightly retention run. */
  RETENTION_AT: localTime.default({ hour: 3, minute: 30 }),
  /** Minutes between rollup compactions (a divisor of 60: the scheduler is a cron pattern). */
  ROLLUP_COMPACTION_MINUTES: minutesDividing60.default(60),
  /** Minutes between sweeps that finish erasure requests left unfinished (a divisor of 60). */
  ERASURE_SWEEP_MINUTES: minutesDividing60.default(10),
  /** How long a sweep waits for the aggregate to store what was on its way before leaving the requests to the next. */
  ERASURE_SWEEP_WAIT_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** Enrich's ENRICH_RELOAD_INTERVAL_MS (set both alike): the sweep waits two of them for enrich to read the list. */
  ENRICH_RELOAD_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** The aggregate's consumer group: the sweep and the snapshot wait for it to store what was on its way. */
  AGGREGATE_GROUP_ID: z.string().min(1).default('edusage-aggregate'),
  /** Enrich's consumer group: the snapshot waits for it to take what was on its way. */
  ENRICH_GROUP_ID: z.string().min(1).default('edusage-enrich'),
};
