/**
 * The erasure sweep: finishes erasure requests left unfinished, so an erasure asked while the aggregate
 * was down, or whose command was stopped, completes without anyone running the command again
 * (docs/ARCHITECTURE.md "Erasing a person"). Safe beside `people erase`; a run lock keeps two sweeps
 * from doing the same work at once (the later one skips).
 */
import type { Job } from 'bullmq';
import { topicNames } from '@edusage/config';
import { finishErasures, type FinishResult } from '@edusage/enrich';
import { createKafka } from '@edusage/kafka';
import type { JobsConfig } from './config';
import type { JobDeps } from './processor';
import { RunLockHeldError, withRunLock } from './run-lock';
import { abortableClickHouse } from './abortable-clickhouse';
import { compactAtStartIfNeeded } from './maintenance-jobs';

/** The lock expires this long after a sweep's process died (it is renewed while the sweep runs). */
const LOCK_TTL_MS = 60_000;
/**
 * How long one deletion may take before the sweep leaves it to the next (ClickHouse goes on with it; the
 * next deletion of the table waits for it instead of asking again).
 */
const DELETION_TIMEOUT_MS = 30 * 60_000;

export const erasureSweepLockKey = (config: Pick<JobsConfig, 'REDIS_KEY_PREFIX'>) =>
  `${config.REDIS_KEY_PREFIX}jobs:lock:erasure-sweep`;

export type ErasureSweepResult = FinishResult | { skipped: string };

/**
 * A sweep that folded rollups again invalidated every month's compaction (one invalidation per re-fold,
 * not per month): until compacted again each month's reads merge all its contributions, which a large
 * district's term reads can take beyond ClickHouse's memory. So it queues the same one-off compaction as
 * a start does, instead of leaving the months to the next scheduled run (up to an hour).
 */
async function compactAfterRefold(deps: JobDeps, result: FinishResult): Promise<void> {
  if (!result.districts.some((d) => d.refoldedRanges > 0)) return;
  await compactAtStartIfNeeded(deps.ch, deps.queue, deps.config, deps.logger);
}

export async function runErasureSweep(deps: JobDeps, job: Job): Promise<ErasureSweepResult> {
  const { config, ch, redis, logger } = deps;
  let result: FinishResult;
  try {
    result = await withRunLock(redis, erasureSweepLockKey(config), `job ${job.id}`, LOCK_TTL_MS, (signal) =>
      finishErasures({
        // A sweep that lost its lock stops at its next ClickHouse request or progress line.
        ch: abortableClickHouse(ch, signal),
        // The queue's connection: the list's keys live under the same REDIS_KEY_PREFIX as enrich's.
        redis,
        redisPrefix: config.REDIS_KEY_PREFIX,
        kafka: createKafka(config, logger),
        enrichedTopic: topicNames(config.KAFKA_TOPIC_PREFIX).enriched,
        aggregateGroupId: config.AGGREGATE_GROUP_ID,
        enrichReloadMs: config.ENRICH_RELOAD_INTERVAL_MS,
        catchUpTimeoutMs: config.ERASURE_SWEEP_WAIT_MS,
        deletion: { timeoutMs: DELETION_TIMEOUT_MS },
        onProgress: (line) => {
          signal.throwIfAborted();
          logger.info({ job: job.id }, line);
        },
      }),
    );
  } catch (err) {
    // Another sweep is at it: nothing to do here (a retried failure would only repeat this).
    if (!(err instanceof RunLockHeldError)) throw err;
    logger.info({ holder: err.holder }, 'erasure sweep skipped: another sweep is running');
    return { skipped: err.message };
  }
  for (const d of result.districts)
    logger.info(
      { district: d.districtId, request: d.request, finished: d.requests, events: d.events, results: d.results },
      'erasure requests finished by the sweep',
    );
  await compactAfterRefold(deps, result);
  if (result.notYetStored > 0)
    logger.warn(
      { notYetStored: result.notYetStored },
      'unfinished erasure requests left for the next sweep: the aggregate has not stored what was on its way (is it running?)',
    );
  return result;
}
