import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import { isTooLargeError, sendAcknowledged } from '@edusage/kafka';
import type { Logger } from '@edusage/logging';
import { retryWithBackoff } from '@edusage/runtime';
import type { EnrichMetrics } from './metrics';
import { OutputChunk } from './output-chunk';
import { processMessages, type InMessage, type OutMessage, type ProcessContext } from './process';
import type { DistrictRegistry } from './registry';

export interface EachBatchDeps {
  consumer: Consumer;
  producer: Producer;
  topics: { enriched: string; dlq: string };
  registry: DistrictRegistry;
  metrics: EnrichMetrics;
  logger: Logger;
  pseudonymKey: string;
  /** ENRICH_CHUNK_SIZE: at most this many raw messages a chunk. */
  chunkSize: number;
  /** Bytes one produce call may carry (under the output topics' max.message.bytes). */
  budget: number;
  /** Aborted on stop: no more commits, and a send's back-off wait ends at once. */
  stopped: AbortSignal;
}

/**
 * The consumer's eachBatch: the batch is enriched in chunks; each chunk's output is produced in one
 * send and only once Kafka acknowledged it is the last raw offset of the chunk committed.
 */
export function enrichEachBatch(deps: EachBatchDeps) {
  return async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    const messages = batch.messages as InMessage[];
    const ctx: ProcessContext = {
      topic: batch.topic,
      partition: batch.partition,
      pseudonymKey: deps.pseudonymKey,
      view: (d: string) => deps.registry.view(d),
      unavailable: (d: string) => deps.registry.unavailable(d),
    };
    const abandon = () => deps.stopped.aborted || !isRunning() || isStale();
    let i = 0;
    while (i < messages.length) {
      if (!isRunning() || isStale()) return;
      const started = process.hrtime.bigint();
      const { chunk, next } = fillChunk(messages, i, ctx, deps);
      i = next;
      const { enriched, dlq, lastOffset } = chunk;
      try {
        await sendWithRetries(enriched, dlq, deps, { abandon, heartbeat, partition: batch.partition });
      } catch (err) {
        // Stopping or rebalanced away: leave the chunk uncommitted (it is redelivered), do not fail the group.
        if (abandon()) return;
        throw err;
      }
      // Kafka has acknowledged the output of every message up to lastOffset: now, and only now, commit it.
      resolveOffset(lastOffset);
      await deps.consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() },
      ]);
      deps.metrics.events.inc({ outcome: 'enriched' }, enriched.length);
      deps.metrics.events.inc({ outcome: 'dlq' }, dlq.length);
      deps.metrics.chunkSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      await heartbeat();
    }
  };
}

/**
 * Enriches messages from `from` on, one at a time, until the chunk has ENRICH_CHUNK_SIZE of them or
 * the next one's output would take it over the budget. Returns the chunk and where the next starts.
 */
function fillChunk(
  messages: readonly InMessage[],
  from: number,
  ctx: ProcessContext,
  deps: Pick<EachBatchDeps, 'budget' | 'chunkSize' | 'metrics' | 'logger'>,
): { chunk: OutputChunk; next: number } {
  const chunk = new OutputChunk(deps.budget);
  const end = Math.min(messages.length, from + deps.chunkSize);
  let i = from;
  while (i < end) {
    const m = messages[i]!;
    const out = processMessages([m], ctx);
    const added = chunk.add(m, out, ctx);
    if (added === 'full') break; // this message starts the next chunk
    if (added === 'oversized') {
      deps.metrics.oversized.inc();
      deps.logger.warn(
        { partition: ctx.partition, offset: m.offset },
        'enriched output over the broker limit: dead-lettered',
      );
    } else {
      deps.metrics.unresolved.inc({ kind: 'person' }, out.unresolvedPeople);
      deps.metrics.unresolved.inc({ kind: 'app' }, out.unresolvedApps);
      deps.metrics.events.inc({ outcome: 'erased' }, out.erased);
    }
    i++;
  }
  return { chunk, next: i };
}

/** Produces a chunk's output (acks=all), retried with backoff and heartbeats until Kafka acknowledged it. */
async function sendWithRetries(
  enriched: OutMessage[],
  dlq: OutMessage[],
  deps: Pick<EachBatchDeps, 'producer' | 'topics' | 'metrics' | 'logger' | 'stopped'>,
  batch: { abandon(): boolean; heartbeat(): Promise<void>; partition: number },
): Promise<void> {
  const topicMessages: { topic: string; messages: OutMessage[] }[] = [];
  if (enriched.length > 0) topicMessages.push({ topic: deps.topics.enriched, messages: enriched });
  if (dlq.length > 0) topicMessages.push({ topic: deps.topics.dlq, messages: dlq });
  if (topicMessages.length === 0) return;
  await retryWithBackoff(() => sendAcknowledged(deps.producer, topicMessages), {
    initialMs: 200,
    maxMs: 10_000,
    shouldAbort: batch.abandon,
    signal: deps.stopped,
    // Cannot happen with the budget unless the topic limit was lowered while running: fail the batch
    // (and, via the consumer's crash, the process) rather than retry forever.
    isRetryable: (err) => !isTooLargeError(err),
    onRetry: async (err, attempt, delayMs) => {
      deps.metrics.sendRetries.inc();
      deps.logger.warn(
        { err, attempt, delayMs, partition: batch.partition },
        'producing enriched events failed; retrying',
      );
      await batch.heartbeat().catch(() => undefined);
    },
  });
}
