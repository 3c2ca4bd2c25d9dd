import { setMaxListeners } from 'node:events';
import { PseudonymKeyChangedError, recordOrCheckPseudonymKey } from '../enrich/key-fingerprint';
import type { Redis } from 'ioredis';
import { type Consumer, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import { topicNames, topicReplication } from '@edusage/config';
import {
  type ConsumerMonitor,
  createConsumer,
  createProducer,
  sendAcknowledged,
  ensureTopics,
  isTooLargeError,
  monitorConsumer,
  produceBudget,
  readMaxMessageBytes,
} from '@edusage/kafka';
import type { Logger } from '@edusage/logging';
import { retryWithBackoff } from '@edusage/runtime';
import { timeZoneFor, type EnrichConfig } from '../config';
import type { Registry } from 'prom-client';
import { createMetrics, type EnrichMetrics } from './metrics';
import { OutputChunk } from './output-chunk';
import { processMessages, type InMessage, type OutMessage } from './process';
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
  // Before anything is pseudonymized: a changed key would split every person in two. Redis may still
  // be starting (retried like the roster load below); a different key is final.
  await retryWithBackoff(
    () => recordOrCheckPseudonymKey({ redis, prefix: config.REDIS_KEY_PREFIX, key: config.PSEUDONYM_KEY }),
    {
      maxAttempts: 20,
      isRetryable: (err) => !(err instanceof PseudonymKeyChangedError),
      onRetry: (err, attempt) => logger.warn({ err, attempt }, 'checking the pseudonym key in Redis failed; retrying'),
    },
  );
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

  const send = async (enriched: OutMessage[], dlq: OutMessage[]) => {
    const topicMessages = [];
    if (enriched.length > 0) topicMessages.push({ topic: topics.enriched, messages: enriched });
    if (dlq.length > 0) topicMessages.push({ topic: topics.dlq, messages: dlq });
    if (topicMessages.length === 0) return;
    await sendAcknowledged(producer, topicMessages);
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    const messages = batch.messages as InMessage[];
    let i = 0;
    while (i < messages.length) {
      if (!isRunning() || isStale()) return;
      const started = process.hrtime.bigint();
      // Enrich up to ENRICH_CHUNK_SIZE messages, one at a time, until the output would exceed the budget.
      const chunk = new OutputChunk(budget);
      const ctx = {
        topic: batch.topic,
        partition: batch.partition,
        pseudonymKey: config.PSEUDONYM_KEY,
        view: (d: string) => registry.view(d),
      };
      const end = Math.min(messages.length, i + config.ENRICH_CHUNK_SIZE);
      while (i < end) {
        const m = messages[i]!;
        const out = processMessages([m], ctx);
        const added = chunk.add(m, out, ctx);
        if (added === 'full') break; // this message starts the next chunk
        if (added === 'oversized') {
          metrics.oversized.inc();
          logger.warn(
            { partition: batch.partition, offset: m.offset },
            'enriched output over the broker limit: dead-lettered',
          );
        } else {
          metrics.unresolved.inc({ kind: 'person' }, out.unresolvedPeople);
          metrics.unresolved.inc({ kind: 'app' }, out.unresolvedApps);
        }
        i++;
      }
      const { enriched, dlq, lastOffset } = chunk;
      const abandon = () => stopped.signal.aborted || !isRunning() || isStale();
      try {
        await retryWithBackoff(() => send(enriched, dlq), {
          initialMs: 200,
          maxMs: 10_000,
          shouldAbort: abandon,
          signal: stopped.signal,
          // Cannot happen with the budget above unless the topic limit was lowered while running:
          // fail the batch (and, via the consumer's crash, the process) rather than retry forever.
          isRetryable: (err) => !isTooLargeError(err),
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
