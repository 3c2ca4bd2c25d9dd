import { topicNames } from '@edusage/config';
import { createKafka } from '@edusage/kafka';
import { atMostEvery } from '@edusage/runtime';
import { pipelineCaughtUp, type StagesLeft } from './pipeline-caught-up';
import type { JobDeps } from './processor';

/**
 * Before a scheduled snapshot: waits up to JOBS_SNAPSHOT_WAIT_MS until enrich and the aggregate have
 * taken every message on their topics now, so a pipeline behind at 02:00 (a backlog after an outage,
 * a restart) does not leave the day's snapshot short for good. Returns what each stage still had when
 * the wait ran out, or null when caught up, not asked to wait (0), or Kafka could not tell (logged:
 * the snapshot is written all the same, as without the wait).
 */
export async function snapshotAfterPipeline(deps: JobDeps, zone: string, day: string): Promise<StagesLeft | null> {
  const { config, logger } = deps;
  if (config.JOBS_SNAPSHOT_WAIT_MS === 0) return null;
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  try {
    const left = await pipelineCaughtUp({
      kafka: createKafka(config, logger),
      stages: [
        { topic: topics.raw, groupId: config.ENRICH_GROUP_ID },
        { topic: topics.enriched, groupId: config.AGGREGATE_GROUP_ID },
      ],
      timeoutMs: config.JOBS_SNAPSHOT_WAIT_MS,
      // A line every half minute, not every look (one each 2 s).
      onProgress: atMostEvery(30_000, (line: string) => logger.info({ zone, day }, `license snapshot: ${line}`)),
    });
    if (Object.values(left).every((n) => n === 0)) return null;
    logger.warn(
      { zone, day, behind: left, waitedMs: config.JOBS_SNAPSHOT_WAIT_MS },
      'license snapshot: the pipeline had not caught up within JOBS_SNAPSHOT_WAIT_MS; the snapshot leaves out what is still on its way (run the day again by hand later)',
    );
    return left;
  } catch (err) {
    logger.warn(
      { zone, day, err: (err as Error).message },
      'license snapshot: could not read the pipeline consumer lag; snapshot written without waiting for it',
    );
    return null;
  }
}
