import { setMaxListeners } from 'node:events';
import { PseudonymKeyChangedError, recordOrCheckPseudonymKey } from '../enrich/key-fingerprint';
import type { Redis } from 'ioredis';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { topicNames, topicReplication } from '@edusage/config';
import {
  type ConsumerMonitor,
  createConsumer,
  createProducer,
  ensureTopics,
  monitorConsumer,
  produceBudget,
  readMaxMessageBytes,
} from '@edusage/kafka';
import type { Logger } from '@edusage/logging';
import { retryWithBackoff } from '@edusage/runtime';
import { timeZoneFor, type EnrichConfig } from '../config';
import type { Registry } from 'prom-client';
import { createMetrics, type EnrichMetrics } from './metrics';
import { enrichEachBatch } from './each-batch';
import { DistrictRegistry } from './registry';

export interface EnrichWorkerOptions {
  config: EnrichConfig;
  logger: Logger;
  kafka: Kafka;
  redis: Redis;
  /** Where the metrics go (the service's registry); default: a registry of its own. */
  registry?: Registry;
  /** Called when the consumer crashed and kafkajs will not restart it (the service should exit). */
  onFatal?: (err: Error) => void;
}

export interface EnrichWorker {
  registry: DistrictRegistry;
  metrics: EnrichMetrics;
  /** The consumer's readiness (in its group, making progress), for /readyz. */
  health: ConsumerMonitor;
  stop(): Promise<void>;
}

/**
 * The enrich worker: consumer group ENRICH_GROUP_ID on usage.raw → usage.enriched / usage.dlq.
 * Per Kafka batch, messages are enriched in chunks; each chunk's output is produced in one send
 * (acks=all, idempotent producer) and only after Kafka acknowledged it is the raw offset committed.
 * A chunk ends at ENRICH_CHUNK_SIZE messages or when the next message's output would take it over
 * the broker's max.message.bytes (counted in bytes, keys included, checked for every message);
 * a single message whose output alone is over it is dead-lettered (payload_too_large).
 * A failed send is retried with backoff (heartbeating meanwhile) and nothing past it is committed.
 */
export async function startEnrichWorker(opts: EnrichWorkerOptions): Promise<EnrichWorker> {
  const { config, logger, kafka, redis } = opts;
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  await checkPseudonymKey(config, redis, logger);
  const metrics = createMetrics(opts.registry);
  const registry = new DistrictRegistry({
    redis,
    prefix: config.REDIS_KEY_PREFIX,
    pseudonymKey: config.PSEUDONYM_KEY,
    timeZoneFor: (d) => timeZoneFor(config, d),
    logger,
  });
  // Aborted on stop: no more commits, and a send's back-off wait ends at once (the chunk stays
  // uncommitted and is redelivered).
  const stopped = new AbortController();
  setMaxListeners(0, stopped.signal); // one back-off wait per partition consumed at once
  // Retried only while Redis itself fails (and the erased sets, which must be in memory before any
  // event): a district whose roster cannot be read is recorded by the registry, its events are
  // dead-lettered, and the other districts start (docs/ARCHITECTURE.md "Redis keys").
  await retryWithBackoff(() => registry.refresh(), {
    maxAttempts: 20,
    onRetry: (err, attempt) => logger.warn({ err, attempt }, 'loading rosters from Redis failed; retrying'),
  });
  await ensureTopics(
    kafka,
    [topics.raw, topics.enriched, topics.dlq],
    config.KAFKA_PARTITIONS,
    topicReplication(config),
  );
  // Each produce call stays under the smallest limit of the two output topics (read once, at start).
  const maxMessageBytes = await readMaxMessageBytes(kafka, [topics.enriched, topics.dlq]);
  const budget = produceBudget(maxMessageBytes);

  const producer: Producer = await createProducer(kafka);
  const consumer: Consumer = await createConsumer(kafka, config.ENRICH_GROUP_ID, {
    sessionTimeout: config.ENRICH_SESSION_TIMEOUT_MS,
  });
  const health = monitorConsumer(consumer, {
    group: config.ENRICH_GROUP_ID,
    registry: metrics.registry,
    sessionTimeoutMs: config.ENRICH_SESSION_TIMEOUT_MS,
    stallTimeoutMs: config.ENRICH_STALL_TIMEOUT_MS,
    onFatal: (err) => (opts.onFatal ?? ((e: Error) => logger.fatal({ err: e }, 'consumer crashed for good')))(err),
  });
  await consumer.subscribe({ topics: [topics.raw], fromBeginning: true });

  const poll = setInterval(() => {
    registry
      .refresh()
      .catch((err: unknown) => logger.warn({ err }, 'roster/catalog reload failed; keeping the loaded ones'));
  }, config.ENRICH_RELOAD_INTERVAL_MS);
  poll.unref();

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: config.ENRICH_PARTITIONS_CONCURRENTLY,
    eachBatch: enrichEachBatch({
      consumer,
      producer,
      topics,
      registry,
      metrics,
      logger,
      pseudonymKey: config.PSEUDONYM_KEY,
      chunkSize: config.ENRICH_CHUNK_SIZE,
      budget,
      stopped: stopped.signal,
    }),
  });

  logger.info({ group: config.ENRICH_GROUP_ID, topic: topics.raw, maxMessageBytes }, 'enrich worker running');

  return {
    registry,
    metrics,
    health,
    async stop() {
      stopped.abort();
      clearInterval(poll);
      await consumer.disconnect().catch((err: unknown) => logger.warn({ err }, 'consumer disconnect failed'));
      await producer.disconnect().catch((err: unknown) => logger.warn({ err }, 'producer disconnect failed'));
    },
  };
}

/**
 * Before anything is pseudonymized: a changed key would split every person in two. Redis may still be
 * starting (retried like the roster load); a different key is final.
 */
async function checkPseudonymKey(config: EnrichConfig, redis: Redis, logger: Logger): Promise<void> {
  await retryWithBackoff(
    () => recordOrCheckPseudonymKey({ redis, prefix: config.REDIS_KEY_PREFIX, key: config.PSEUDONYM_KEY }),
    {
      maxAttempts: 20,
      isRetryable: (err) => !(err instanceof PseudonymKeyChangedError),
      onRetry: (err, attempt) => logger.warn({ err, attempt }, 'checking the pseudonym key in Redis failed; retrying'),
    },
  );
}
