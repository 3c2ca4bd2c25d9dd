import type { Server } from 'node:http';
import type { Redis } from 'ioredis';
import { CompressionTypes, type Consumer, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import { topicNames } from '@edusage/config';
import { createConsumer, createProducer, ensureTopics } from '@edusage/kafka';
import type { Logger } from '@edusage/logging';
import { retryWithBackoff } from '@edusage/runtime';
import { timeZoneFor, type EnrichConfig } from '../config';
import { createMetrics, serveMetrics, type EnrichMetrics } from './metrics';
import { processMessages, type InMessage } from './process';
import { DistrictRegistry } from './registry';

/** Upper bound of produced bytes per send, well under the broker's default 1 MB message.max.bytes per partition batch. */
const MAX_SEND_BYTES = 768 * 1024;

export interface EnrichWorkerOptions {
  config: EnrichConfig;
  logger: Logger;
  kafka: Kafka;
  redis: Redis;
}

export interface EnrichWorker {
  registry: DistrictRegistry;
  metrics: EnrichMetrics;
  /** Port of the metrics server, when one runs. */
  metricsPort: number | null;
  stop(): Promise<void>;
}

/**
 * The enrich worker: consumer group ENRICH_GROUP_ID on usage.raw → usage.enriched / usage.dlq.
 * Per Kafka batch, messages are enriched in chunks; each chunk's output is produced in one send
 * (acks=all, idempotent producer) and only after Kafka acknowledged it is the raw offset committed.
 * A failed send is retried with backoff (heartbeating meanwhile) and nothing past it is committed.
 */
export async function startEnrichWorker(opts: EnrichWorkerOptions): Promise<EnrichWorker> {
  const { config, logger, kafka, redis } = opts;
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const metrics = createMetrics();
  const registry = new DistrictRegistry({
    redis,
    prefix: config.REDIS_KEY_PREFIX,
    pseudonymKey: config.PSEUDONYM_KEY,
    timeZoneFor: (d) => timeZoneFor(config, d),
    logger,
  });
  let stopping = false;
  await retryWithBackoff(() => registry.refresh(), {
    maxAttempts: 20,
    onRetry: (err, attempt) => logger.warn({ err, attempt }, 'loading rosters from Redis failed; retrying'),
  });
  await ensureTopics(kafka, [topics.raw, topics.enriched, topics.dlq], config.KAFKA_PARTITIONS);

  const producer: Producer = await createProducer(kafka);
  const consumer: Consumer = await createConsumer(kafka, config.ENRICH_GROUP_ID, {
    sessionTimeout: config.ENRICH_SESSION_TIMEOUT_MS,
  });
  await consumer.subscribe({ topics: [topics.raw], fromBeginning: true });

  const poll = setInterval(() => {
    registry
      .refresh()
      .catch((err: unknown) => logger.warn({ err }, 'roster/catalog reload failed; keeping the loaded ones'));
  }, config.ENRICH_RELOAD_INTERVAL_MS);
  poll.unref();

  const send = async (enriched: { key: string; value: string }[], dlq: { key: string; value: string }[]) => {
    const topicMessages = [];
    if (enriched.length > 0) topicMessages.push({ topic: topics.enriched, messages: enriched });
    if (dlq.length > 0) topicMessages.push({ topic: topics.dlq, messages: dlq });
    if (topicMessages.length === 0) return;
    await producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages,
    });
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    const messages = batch.messages as InMessage[];
    let i = 0;
    while (i < messages.length) {
      if (!isRunning() || isStale()) return;
      const started = process.hrtime.bigint();
      // Enrich up to ENRICH_CHUNK_SIZE messages, stopping early when the output grows past MAX_SEND_BYTES.
      const enriched: { key: string; value: string }[] = [];
      const dlq: { key: string; value: string }[] = [];
      let bytes = 0;
      let lastOffset = '';
      const end = Math.min(messages.length, i + config.ENRICH_CHUNK_SIZE);
      while (i < end && bytes < MAX_SEND_BYTES) {
        const step = messages.slice(i, Math.min(end, i + 200));
        const out = processMessages(step, {
          topic: batch.topic,
          partition: batch.partition,
          pseudonymKey: config.PSEUDONYM_KEY,
          view: (d) => registry.view(d),
        });
        enriched.push(...out.enriched);
        dlq.push(...out.dlq);
        bytes += out.bytes;
        metrics.unresolved.inc({ kind: 'person' }, out.unresolvedPeople);
        metrics.unresolved.inc({ kind: 'app' }, out.unresolvedApps);
        i += step.length;
        lastOffset = step[step.length - 1]?.offset ?? lastOffset;
      }
      const abandon = () => stopping || !isRunning() || isStale();
      try {
        await retryWithBackoff(() => send(enriched, dlq), {
          initialMs: 200,
          maxMs: 10_000,
          shouldAbort: abandon,
          onRetry: async (err, attempt, delayMs) => {
            metrics.sendRetries.inc();
            logger.warn(
              { err, attempt, delayMs, partition: batch.partition },
              'producing enriched events failed; retrying',
            );
            await heartbeat().catch(() => undefined);
          },
        });
      } catch (err) {
        // Stopping or rebalanced away: leave the chunk uncommitted (it is redelivered), do not fail the group.
        if (abandon()) return;
        throw err;
      }
      // Kafka has acknowledged the output of every message up to lastOffset: now, and only now, commit it.
      resolveOffset(lastOffset);
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: (BigInt(lastOffset) + 1n).toString(),
        },
      ]);
      metrics.events.inc({ outcome: 'enriched' }, enriched.length);
      metrics.events.inc({ outcome: 'dlq' }, dlq.length);
      metrics.chunkSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      await heartbeat();
    }
  };

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: config.ENRICH_PARTITIONS_CONCURRENTLY,
    eachBatch,
  });

  let server: Server | null = null;
  if (config.ENRICH_METRICS_PORT !== undefined) {
    server = await serveMetrics(metrics, config.ENRICH_METRICS_PORT);
  }
  const address = server?.address();
  logger.info(
    {
      group: config.ENRICH_GROUP_ID,
      topic: topics.raw,
      metricsPort: typeof address === 'object' && address ? address.port : null,
    },
    'enrich worker running',
  );

  return {
    registry,
    metrics,
    metricsPort: typeof address === 'object' && address ? address.port : null,
    async stop() {
      stopping = true;
      clearInterval(poll);
      await consumer.disconnect().catch((err: unknown) => logger.warn({ err }, 'consumer disconnect failed'));
      await producer.disconnect().catch((err: unknown) => logger.warn({ err }, 'producer disconnect failed'));
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
