import { Redis } from 'ioredis';
import { topicNames, type BaseConfig } from '@edusage/config';
import { clickhouseHealth, createClickHouse, dropDatabase } from '@edusage/clickhouse';
import { deleteTopics, kafkaHealth, waitTopicsGone, type Kafka } from '@edusage/kafka';
import { deleteKeysWithPrefix } from '@edusage/redis';

/** Throws, naming what is down, unless Kafka and ClickHouse answer. */
export async function assertStackReachable(kafka: Kafka, config: BaseConfig): Promise<void> {
  const ch = createClickHouse({ ...config, CLICKHOUSE_DATABASE: 'default' });
  const down = [
    !(await kafkaHealth(kafka)) && `Kafka (${config.KAFKA_BROKERS.join(',')})`,
    !(await clickhouseHealth(ch)) && `ClickHouse (${config.CLICKHOUSE_URL})`,
  ].filter(Boolean);
  await ch.close();
  if (down.length > 0) throw new Error(`not reachable: ${down.join(', ')}. Start the stack with: infra/local/stack up`);
}

/**
 * Empties a run's own keyspace (the demo's, the benchmark's): its usage topics and `extraTopics`
 * (waiting until Kafka has deleted them), its consumer groups, its ClickHouse database and its Redis keys.
 */
export async function resetSampleData(
  kafka: Kafka,
  config: BaseConfig,
  opts: { extraTopics?: string[]; groupIds?: string[] } = {},
): Promise<void> {
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const all = [topics.raw, topics.enriched, topics.dlq, ...(opts.extraTopics ?? [])];
  await deleteTopics(kafka, all);
  await waitTopicsGone(kafka, all);
  if (opts.groupIds?.length) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      // A group that does not exist (first run) is no error.
      await admin.deleteGroups(opts.groupIds).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  }
  await dropDatabase(config);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX);
  } finally {
    redis.disconnect();
  }
}
