/**
 * The research refresh, the retention run, the rollup compaction and the erasure sweep: one scheduler
 * each (they work on all districts at once). All are idempotent: a retry or a second run rebuilds the same weeks, finds the
 * expired months already gone, or writes a compaction readers may use as well as the previous one.
 */
import type { Job, Queue } from 'bullmq';
import {
  dropStaleStaging,
  ensureResearchSchema,
  publishSettled,
  rebuildByHand,
  researchDatabaseOf,
  type PublishResult,
} from '@edusage/research';
import type { ClickHouseClient } from '@edusage/clickhouse';
import type { Logger } from '@edusage/logging';
import { compactRollups, monthsAwaitingCompaction, type MonthCompactionResult } from '@edusage/rollups';
import type { JobDeps } from './processor';
import type { JobsConfig } from './config';
import { dueLocalDate } from './districts';
import { retriedJobOptions } from './queue';
import { JOB, type ZoneJobData } from './job-names';
import { enforceRetention, type RetentionResult } from './retention';
import { withRunLock } from './run-lock';
import { abortableClickHouse } from './abortable-clickhouse';
import type { DesiredScheduler } from './schedules';

const daily = (at: { hour: number; minute: number }) => `${at.minute} ${at.hour} * * *`;

export function maintenanceSchedulers(config: JobsConfig): DesiredScheduler[] {
  const tz = config.DEFAULT_TIMEZONE;
  return [
    {
      id: JOB.researchRefresh,
      name: JOB.researchRefresh,
      pattern: daily(config.RESEARCH_REFRESH_AT),
      tz,
      data: { zone: tz },
    },
    { id: JOB.retention, name: JOB.retention, pattern: daily(config.RETENTION_AT), tz, data: { zone: tz } },
    {
      id: JOB.rollupCompaction,
      name: JOB.rollupCompaction,
      pattern: everyMinutes(config.ROLLUP_COMPACTION_MINUTES),
      tz,
      data: { zone: tz },
    },
    {
      id: JOB.erasureSweep,
      name: JOB.erasureSweep,
      pattern: everyMinutes(config.ERASURE_SWEEP_MINUTES),
      tz,
      data: { zone: tz },
    },
  ];
}

const everyMinutes = (n: number) => (n === 60 ? '0 * * * *' : `*/${n} * * * *`);

/**
 * At start, by the process that owns the schedulers, and after an erasure sweep that folded rollups
 * again (erasure-sweep.ts): when a month holding rollups has no usable compaction (a re-fold, the new
 * empty tables of migration 0011, or data never compacted), one `rollup-compaction-at-start` job now
 * rather than at the next scheduled run. Until a month is
 * compacted every read of it merges all its contributions: slow, and a large district's term reads
 * can exceed ClickHouse's memory limit. Returns the job id, or null when every month is compacted.
 */
export async function compactAtStartIfNeeded(
  ch: ClickHouseClient,
  queue: Queue,
  config: JobsConfig,
  logger: Logger,
): Promise<string | null> {
  try {
    const months = await monthsAwaitingCompaction(ch);
    if (months.length === 0) return null;
    const id = `${JOB.rollupCompactionAtStart}@${Date.now()}`;
    const data: ZoneJobData = { zone: config.DEFAULT_TIMEZONE };
    await queue.add(JOB.rollupCompactionAtStart, data, {
      jobId: id,
      ...retriedJobOptions({ attempts: config.JOBS_ATTEMPTS, backoffMs: config.JOBS_RETRY_DELAY_MS }),
    });
    logger.info({ months, job: id }, 'months without a usable rollup compaction: compacting now');
    return id;
  } catch (err) {
    // Only a head start: the schedule compacts anyway, so a failed check must not stop the service.
    logger.warn({ err: (err as Error).message }, 'could not start a compaction for months without one');
    return null;
  }
}

/**
 * Compacts the rollups (@edusage/rollups: the final contributions of each month merged into one row
 * per cell), logging each month it rewrote.
 */
export async function runRollupCompaction(deps: JobDeps, job: Job<ZoneJobData>): Promise<MonthCompactionResult[]> {
  const { ch, logger } = deps;
  let done = 0;
  return compactRollups(ch, {
    onMonth: (r) => {
      done += 1;
      void job.updateProgress(done);
      if (r.generation !== null)
        logger.info(
          {
            month: r.month,
            generation: r.generation,
            incremental: r.incremental,
            cells: r.cells,
            contributions: r.contributions,
            ms: r.ms,
          },
          'rollup month compacted',
        );
    },
  });
}

/** The research refresh's run lock, beside the queue's keys. */
export const researchLockKey = (config: Pick<JobsConfig, 'REDIS_KEY_PREFIX'>) =>
  `${config.REDIS_KEY_PREFIX}jobs:lock:research-refresh`;

/**
 * The daily run publishes what settled and is not published yet (packages/research publish.ts). A
 * manual job's `day` rebuilds the week holding it, and the outcome bands of its school year if that
 * year has settled: an asked-for rebuild replaces a published period (logged in `publications`). A
 * week that has not settled is refused (the job fails saying so).
 */
export async function runResearchRefresh(deps: JobDeps, job: Job<ZoneJobData>): Promise<PublishResult> {
  const { config, ch, logger } = deps;
  const researchDb = researchDatabaseOf(config);
  await ensureResearchSchema(config, researchDb);
  const stale = await dropStaleStaging(ch);
  if (stale.length > 0) logger.warn({ tables: stale }, 'dropped staging tables left by an interrupted refresh');
  const today = dueLocalDate(job, job.data.zone);
  const settled = {
    today,
    settleWeeks: config.RESEARCH_SETTLE_WEEKS,
    k: config.RESEARCH_K,
    goals: config.RESEARCH_GOALS,
  };
  // One run at a time: two would both find a week unpublished and both write it. The lock is renewed
  // while the run works, so it only has to outlast a process that died: a minute, which the job's
  // retries wait out (a run handed back at shutdown finds its abandoned run's lock until then). A run
  // that loses it fails, and its ClickHouse requests stop (abortableClickHouse).
  const result: PublishResult = await withRunLock(
    deps.redis,
    researchLockKey(config),
    `job ${job.id}`,
    60_000,
    async (signal) => {
      const runCh = abortableClickHouse(ch, signal);
      if (job.data.day === undefined) return publishSettled(runCh, researchDb, settled);
      const r = await rebuildByHand(runCh, researchDb, {
        ...settled,
        day: job.data.day,
        settleSetting: 'RESEARCH_SETTLE_WEEKS',
      });
      if (r.unsettledYear !== null)
        logger.info({ schoolYear: r.unsettledYear }, 'outcome bands not rebuilt: the school year has not settled');
      return r;
    },
  );
  for (const r of result.weeks) {
    logger.info({ week: r.week_start, researchDb, rows: r.rows }, 'research week published');
    for (const t of r.kept)
      logger.warn({ week: r.week_start, table: t.table, reason: t.reason }, 'research table of the week not written');
  }
  for (const [year, rows] of Object.entries(result.outcomeBands))
    logger.info({ schoolYear: year, researchDb, rows }, 'research outcome bands published');
  return result;
}

export async function runRetention(deps: JobDeps, job: Job<ZoneJobData>): Promise<RetentionResult> {
  const { config, ch, logger } = deps;
  const today = job.data.day ?? dueLocalDate(job, job.data.zone);
  const r = await enforceRetention(ch, config.CLICKHOUSE_DATABASE, config.RETENTION_POLICY, today);
  logger.info({ today, dropped: r.dropped, deferred: r.deferred, missing: r.missing }, 'retention enforced');
  if (r.deferred.length > 0) {
    logger.warn(
      { months: r.deferred },
      'usage_events months kept for now: some events are not folded into the rollups yet',
    );
  }
  return r;
}
