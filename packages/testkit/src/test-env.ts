import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '@edusage/redis';
import {
  baseConfigSchema,
  loadConfig,
  topicNames,
  topicReplication,
  type BaseConfig,
  type TopicNames,
} from '@edusage/config';
import { createKafka, deleteTopics, ensureTopics } from '@edusage/kafka';
import { createClickHouse, dropDatabase, ensureDatabase, runMigrations } from '@edusage/clickhouse';
import { createLogger } from '@edusage/logging';
import { migrationsDir } from './paths';

export interface TestEnv {
  /** Base configuration pointing at this suite's own topics, database and Redis keyspace. */
  config: BaseConfig;
  /** The same as environment variables, for services started as child processes. */
  env: Record<string, string>;
  topics: TopicNames;
  /** Deletes the suite's topics, database and Redis keys. */
  cleanup(): Promise<void>;
}

/**
 * Gives a test suite topics, a migrated ClickHouse database and a Redis key prefix of its own, on the
 * real services, so suites can run side by side without seeing each other's data.
 */
export async function createTestEnv(
  name: string,
  opts: {
    partitions?: number;
    /** ClickHouse to use instead of CLICKHOUSE_URL (e.g. a `startPrivateClickHouse()` server). */
    clickhouseUrl?: string;
    /** Kafka to use instead of KAFKA_BROKERS (e.g. a `startPrivateKafka()` broker). */
    kafkaBrokers?: string;
    /** Replicas of the suite's topics (KAFKA_REPLICATION_FACTOR; e.g. 3 on a `startPrivateKafkaCluster()`). */
    replicationFactor?: number;
    /** Redis to use instead of REDIS_URL (e.g. a `startPrivateRedis()` server). */
    redisUrl?: string;
    /** false: create no topics (a suite of a service that does not use Kafka need not wait for it). */
    kafka?: boolean;
  } = {},
): Promise<TestEnv> {
  const id = `${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    KAFKA_TOPIC_PREFIX: `t.${id}.`,
    KAFKA_PARTITIONS: String(opts.partitions ?? 3),
    CLICKHOUSE_DATABASE: `t_${id}`,
    REDIS_KEY_PREFIX: `t:${id}:`,
    KAFKA_CLIENT_ID: `test-${id}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
  };
  for (const key of ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'REDIS_URL']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  if (opts.clickhouseUrl !== undefined) env.CLICKHOUSE_URL = opts.clickhouseUrl;
  if (opts.kafkaBrokers !== undefined) env.KAFKA_BROKERS = opts.kafkaBrokers;
  if (opts.replicationFactor !== undefined) env.KAFKA_REPLICATION_FACTOR = String(opts.replicationFactor);
  if (opts.redisUrl !== undefined) env.REDIS_URL = opts.redisUrl;
  // Without topics there is no pipeline for a scheduled snapshot to wait for (JOBS_SNAPSHOT_WAIT_MS).
  if (opts.kafka === false) env.JOBS_SNAPSHOT_WAIT_MS = '0';
  const config = loadConfig(baseConfigSchema, env);
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const logger = createLogger('testkit', env.LOG_LEVEL);
  const kafka = createKafka(config, logger);

  const usesKafka = opts.kafka !== false;
  if (usesKafka)
    await ensureTopics(
      kafka,
      [topics.raw, topics.enriched, topics.dlq],
      config.KAFKA_PARTITIONS,
      topicReplication(config),
    );
  await ensureDatabase(config);
  const ch = createClickHouse(config);
  try {
    await runMigrations(ch, migrationsDir());
  } finally {
    await ch.close();
  }

  return {
    config,
    env,
    topics,
    async cleanup() {
      if (process.env.KEEP_TEST_DATA === '1') return;
      if (usesKafka) await deleteTopics(kafka, [topics.raw, topics.enriched, topics.dlq]).catch(() => undefined);
      await dropDatabase(config).catch(() => undefined);
      // The research database the jobs service derives from it (RESEARCH_DATABASE unset), if a suite made one.
      await dropDatabase({ ...config, CLICKHOUSE_DATABASE: `${config.CLICKHOUSE_DATABASE}_research` }).catch(
        () => undefined,
      );
      const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
      try {
        await redis.connect();
        await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX);
      } catch {
        // Best effort: a leftover key under a random prefix harms nobody.
      } finally {
        redis.disconnect();
      }
    },
  };
}
