/**
 * The research refresh and the retention run: one scheduler each, at a DEFAULT_TIMEZONE time (they
 * work on all districts at once). Both are idempotent: a retry or a second run rebuilds the same weeks
 * and finds the expired months already gone.
 */
import type { Job } from 'bullmq';
import {
  completedWeeks,
  dropStaleStaging,
  ensureResearchSchema,
  mondayOf,
  refreshOutcomeBands,
  refreshWeek,
  schoolYearOf,
  researchDatabaseOf,
  type RefreshResult,
} from '@edusage/research';
import type { JobDeps } from './processor';
import type { JobsConfig } from './config';
import { dueLocalDate } from './districts';
import { JOB, type ZoneJobData } from './job-names';
import { enforceRetention, type RetentionResult } from './retention';
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
  ];
}

/**
 * Rebuilds the latest RESEARCH_REFRESH_WEEKS complete weeks (or the week holding `day`, for a manual run)
 * and the outcome bands of their school years.
 */
export async function runResearchRefresh(
  deps: JobDeps,
  job: Job<ZoneJobData>,
): Promise<{ weeks: RefreshResult[]; outcomeBands: Record<string, number> }> {
  const { config, ch, logger } = deps;
  const researchDb = researchDatabaseOf(config);
  await ensureResearchSchema(config, researchDb);
  const stale = await dropStaleStaging(ch);
  if (stale.length > 0) logger.warn({ tables: stale }, 'dropped staging tables left by an interrupted refresh');
  const today = dueLocalDate(job, job.data.zone);
  const weeks =
    job.data.day !== undefined ? [mondayOf(job.data.day)] : completedWeeks(today, config.RESEARCH_REFRESH_WEEKS);
  const results: RefreshResult[] = [];
  for (const week of weeks) {
    const r = await refreshWeek(ch, researchDb, week, config.RESEARCH_K);
    logger.info({ week, researchDb, rows: r.rows }, 'research week rebuilt');
    for (const t of r.kept)
      logger.warn({ week, table: t.table, reason: t.reason }, 'research table kept its previous week');
    results.push(r);
  }
  // The school years of those weeks: outcome bands by dosage between each student's pre and post test.
  const outcomeBands: Record<string, number> = {};
  for (const year of [...new Set(weeks.map(schoolYearOf))]) {
    outcomeBands[year] = await refreshOutcomeBands(ch, researchDb, year, config.RESEARCH_K, config.RESEARCH_GOALS);
    logger.info({ schoolYear: year, researchDb, rows: outcomeBands[year] }, 'research outcome bands rebuilt');
  }
  return { weeks: results, outcomeBands };
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
