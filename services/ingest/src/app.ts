import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { topicNames, topicReplication } from '@edusage/config';
import { createKafka, createProducer, ensureTopics, kafkaHealth } from '@edusage/kafka';
import type { Logger } from '@edusage/logging';
import { ApiKeyStore } from './apikeys';
import type { IngestConfig } from './config';
import { keyEventLimit, redisEventBudgets } from './key-event-limit';
import { createMetrics, type IngestMetrics } from './metrics';
import { buildServer } from './server';
import { KafkaSink, readSinkLimits } from './sink';

export interface IngestService {
  app: FastifyInstance;
  metrics: IngestMetrics;
  /** The address the server listens on, e.g. http://127.0.0.1:8080 (after `listen: true`). */
  url?: string;
  stop(): Promise<void>;
}

export function createRedis(config: Pick<IngestConfig, 'REDIS_URL'>): Redis {
  // Fail a command fast when Redis is down (the request gets 503) instead of queueing it forever.
  return new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3_000, lazyConnect: false });
}

/**
 * Clients and server of the ingest service: ensures the topics, connects the idempotent producer and
 * Redis, builds the Fastify app and (with `listen`) binds INGEST_HOST:INGEST_PORT.
 */
export async function startIngest(
  config: IngestConfig,
  logger: Logger,
  opts: { listen?: boolean } = {},
): Promise<IngestService> {
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const kafka = createKafka(config, logger);
  await ensureTopics(kafka, [topics.raw, topics.dlq], config.KAFKA_PARTITIONS, topicReplication(config));
  // Produce calls are cut below the smallest topic limit, so a large batch of one person never exceeds it.
  const limits = await readSinkLimits(kafka, topics);
  logger.info({ maxMessageBytes: limits }, 'broker message limits');
  const producer = await createProducer(kafka);
  const redis = createRedis(config);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  const metrics = createMetrics();
  let stopping = false;
  const app = await buildServer({
    config,
    logger,
    keys: new ApiKeyStore(redis, config.REDIS_KEY_PREFIX, config.INGEST_KEY_CACHE_MS),
    sink: new KafkaSink(producer, topics, { metrics, timeoutMs: config.INGEST_PRODUCE_TIMEOUT_MS, limits }),
    metrics,
    keyLimit: keyEventLimit({
      budgets: redisEventBudgets(redis, config.REDIS_KEY_PREFIX),
      defaultPerMinute: config.INGEST_KEY_EVENTS_PER_MINUTE,
      metrics,
    }),
    readiness: {
      kafka: () => kafkaHealth(kafka),
      redis: async () => {
        const pong = await Promise.race([
          redis.ping(),
          new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 2_000).unref()),
        ]);
        return pong === 'PONG';
      },
    },
    stopping: () => stopping,
  });
  let url: string | undefined;
  if (opts.listen ?? true) {
    url = await app.listen({ port: config.INGEST_PORT, host: config.INGEST_HOST });
    logger.info({ url }, 'ingest listening');
  } else {
    await app.ready();
  }
  return {
    app,
    metrics,
    ...(url !== undefined ? { url } : {}),
    async stop() {
      stopping = true; // not ready from now on, before the in-flight requests have finished
      // Stop taking requests and let in-flight ones finish (they wait for their Kafka acks) ...
      await app.close();
      // ... then close the clients.
      await producer.disconnect().catch((err: unknown) => logger.warn({ err }, 'producer disconnect failed'));
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
