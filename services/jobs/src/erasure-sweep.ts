/**
 * The erasure sweep: finishes erasure requests left unfinished, so an erasure asked while the aggregate
 * was down, or whose command was stopped, completes without anyone running the command again
 * (docs/ARCHITECTURE.md "Erasing a person"). Idempotent and safe beside `people erase`; a run lock
 * keeps two sweeps from doing the same work at once.
 */
import type { Job } from 'bullmq';
import { topicNames } from '@edusage/config';
import { finishErasures, sweepFinisher, type FinishResult } from '@edusage/enrich';
import { createKafka } from '@edusage/kafka';
import type { JobsConfig } from './config';
import type { JobDeps } from './processor';
import { withRunLock } from './run-lock';

export const erasureSweepLockKey = (config: Pick<JobsConfig, 'REDIS_KEY_PREFIX'>) =>
  `${config.REDIS_KEY_PREFIX}jobs:lock:erasure-sweep`;

export async function runErasureSweep(deps: JobDeps, job: Job): Promise<FinishResult> {
  const { config, ch, redis, logger } = deps;
  const result = await withRunLock(redis, erasureSweepLockKey(config), `job ${job.id}`, 3_600_000, () =>
    finishErasures({
      ch,
      // The queue's connection: the list's keys live under the same REDIS_KEY_PREFIX as enrich's.
      redis,
      redisPrefix: config.REDIS_KEY_PREFIX,
      kafka: createKafka(config, logger),
      enrichedTopic: topicNames(config.KAFKA_TOPIC_PREFIX).enriched,
      aggregateGroupId: config.AGGREGATE_GROUP_ID,
      enrichReloadMs: config.ENRICH_RELOAD_INTERVAL_MS,
      catchUpTimeoutMs: config.ERASURE_SWEEP_WAIT_MS,
      finishedBy: sweepFinisher(new Date()),
      onProgress: (line) => logger.info({ job: job.id }, line),
    }),
  );
  for (const d of result.districts)
    logger.info(
      { district: d.districtId, requests: d.requests, refoldedRanges: d.refoldedRanges },
      'erasure requests finished by the sweep',
    );
  if (result.notYetStored > 0)
    logger.warn(
      { notYetStored: result.notYetStored },
      'unfinished erasure requests left for the next sweep: the aggregate has not stored what was on its way (is it running?)',
    );
  return result;
}
