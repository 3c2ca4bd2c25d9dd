import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { insertRows } from '@edusage/clickhouse';
import { produceJson } from '@edusage/kafka';
import type { Logger } from '@edusage/logging';
import { retryWithBackoff } from '@edusage/runtime';
import type { PreparedRow, TopicHandler } from './handlers';
import { storedOffsetsFrom } from './stored-offsets';

/** Thrown to leave a batch uncommitted when the worker stops or the partition was taken away. */
class BatchAbandoned extends Error {}

export interface SinkStats {
  batches: number;
  inserted: number;
  duplicates: number;
  alreadyStored: number;
  rejected: number;
  /** Failed attempts (ClickHouse, Redis or Kafka) that were retried. */
  retries: number;
}

export interface SinkWorkerOptions {
  consumer: Consumer;
  producer: Producer;
  ch: ClickHouseClient;
  logger: Logger;
  handlers: Record<string, TopicHandler>;
  dlqTopic: string;
  concurrency: number;
}

/**
 * Consumes topics into ClickHouse with an exactly-once effect (docs/ARCHITECTURE.md):
 * per partition batch, skip what is already stored, insert the rest (one INSERT per month partition),
 * and only then commit the offset. Failures are retried with backoff while heartbeating, forever:
 * nothing is committed that is not stored.
 */
export class SinkWorker {
  readonly stats: SinkStats = {
    batches: 0,
    inserted: 0,
    duplicates: 0,
    alreadyStored: 0,
    rejected: 0,
    retries: 0,
  };
  /** Per "topic/partition": offsets at or above the last verified point already stored in ClickHouse. */
  private readonly verified = new Map<string, Set<string>>();
  private stopping = false;

  constructor(private readonly opts: SinkWorkerOptions) {
    // After any rebalance nothing is known about who stored what: verify again before inserting.
    opts.consumer.on(opts.consumer.events.GROUP_JOIN, () => this.verified.clear());
  }

  async start(): Promise<void> {
    await this.opts.consumer.subscribe({
      topics: Object.keys(this.opts.handlers),
      fromBeginning: true,
    });
    await this.opts.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.concurrency,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.opts.consumer.disconnect();
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    try {
      await this.processBatch(payload);
    } catch (err) {
      if (err instanceof BatchAbandoned) return;
      throw err;
    }
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty()) return;
    const handler = this.opts.handlers[batch.topic];
    if (!handler) throw new Error(`no handler for topic ${batch.topic}`);
    const { topic, partition } = batch;
    const key = `${topic}/${partition}`;
    const log = this.opts.logger.child({ topic, partition });

    const persist = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      // Heartbeat all along, during attempts and back-off waits alike: a failing or hanging ClickHouse
      // must never cost the group membership, whatever the session timeout (the back-off wait alone can
      // reach ~19 s, an attempt the client's request timeout). kafkajs sends at most one per heartbeatInterval.
      const beat = setInterval(() => void heartbeat().catch(() => undefined), 1_000);
      try {
        return await retryWithBackoff(fn, {
          initialMs: 250,
          maxMs: 15_000,
          shouldAbort: () => this.stopping || !isRunning() || isStale(),
          onRetry: async (err, attempt, delayMs) => {
            this.stats.retries += 1;
            log.warn(
              {
                err: (err as Error).message,
                attempt,
                delayMs: Math.round(delayMs),
              },
              `${what} failed: retrying`,
            );
            await heartbeat().catch(() => undefined);
          },
        });
      } catch (err) {
        if (this.stopping || !isRunning() || isStale()) throw new BatchAbandoned();
        throw err;
      } finally {
        clearInterval(beat);
      }
    };

    const firstOffset = batch.firstOffset() ?? batch.messages[0]!.offset;
    const stored = async (): Promise<Set<string>> => {
      let known = this.verified.get(key);
      if (!known) {
        known = await persist('reading stored offsets', () =>
          storedOffsetsFrom(this.opts.ch, handler.offsetsTable, topic, partition, firstOffset),
        );
        this.verified.set(key, known);
      }
      return known;
    };

    const prepared = await persist('preparing batch', () => handler.prepare(topic, partition, batch.messages));
    if (prepared.rejects.length > 0) {
      await persist('sending dead letters', () =>
        produceJson(
          this.opts.producer,
          this.opts.dlqTopic,
          prepared.rejects.map((r) => ({ key: r.source, value: r })),
        ),
      );
    }

    for (const [month, rows] of groupByMonth(prepared.rows)) {
      await persist(`inserting into ${handler.table}`, async () => {
        const known = await stored();
        const fresh = rows.filter((r) => !known.has(r.offset));
        this.stats.alreadyStored += rows.length - fresh.length;
        try {
          await insertRows(
            this.opts.ch,
            handler.table,
            fresh.map((r) => r.row),
          );
        } catch (err) {
          // The INSERT may have reached ClickHouse before the error: find out before trying again.
          this.verified.delete(key);
          throw err;
        }
        for (const r of fresh) known.add(r.offset);
        this.stats.inserted += fresh.length;
        log.debug({ month, rows: fresh.length }, 'inserted');
      });
      await heartbeat();
    }

    if (handler.afterStore) {
      const after = handler.afterStore.bind(handler);
      await persist('deriving rollups', () => after(topic, partition));
    }

    const lastOffset = batch.lastOffset();
    resolveOffset(lastOffset);
    const next = (BigInt(lastOffset) + 1n).toString();
    await persist('committing offset', () => this.opts.consumer.commitOffsets([{ topic, partition, offset: next }]));
    // Offsets below the commit point will not be seen again by this owner.
    const known = this.verified.get(key);
    if (known) for (const o of known) if (BigInt(o) < BigInt(next)) known.delete(o);

    this.stats.batches += 1;
    this.stats.duplicates += prepared.duplicates;
    this.stats.rejected += prepared.rejects.length;
  }
}

function groupByMonth(rows: PreparedRow[]): Map<string, PreparedRow[]> {
  const groups = new Map<string, PreparedRow[]>();
  for (const r of rows) {
    const list = groups.get(r.month);
    if (list) list.push(r);
    else groups.set(r.month, [r]);
  }
  return groups;
}
