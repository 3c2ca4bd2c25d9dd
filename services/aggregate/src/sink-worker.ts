import { setMaxListeners } from 'node:events';
import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { kafkaPosition, type DeadLetter } from '@edusage/contracts';
import { produceJson } from '@edusage/kafka';
import type { Logger } from '@edusage/logging';
import { atMostEvery } from '@edusage/runtime';
import { BatchAbandoned, batchContext, type BatchContext } from './batch-context';
import { BatchGathering, markIfFailed, type GatherOptions, type SinkMessage } from './batch-gathering';
import type { SinkTimings } from './sink-timings';
import { mustRejoin, PartitionRefused } from './errors';
import { MembershipFence } from './fence';
import { FoldSchedule, partitionKey } from './fold-schedule';
import type { TopicHandler } from './handlers';
import { JoinedInserts } from './joined-inserts';
import { PartitionWrites } from './partition-writes';
import { groupByMonth, RowStore } from './row-store';
import { refuseIfDrifted } from './schema-check';

/** At most one heartbeat warning this often: a broker restart fails every batch's heartbeats. */
const HEARTBEAT_WARN_EVERY_MS = 10_000;

export interface SinkStats {
  batches: number;
  /** Rows sent in INSERTs; rows of people erased meanwhile are dropped by the INSERT and counted here all the same. */
  inserted: number;
  duplicates: number;
  alreadyStored: number;
  rejected: number;
  abandoned: number;
  /** Failed attempts (ClickHouse or Kafka) that were retried. */
  retries: number;
  /** Batches stored and left unfolded and uncommitted, for a later fold (`FoldSchedule`). */
  foldsPutOff: number;
  /** Seeks back to an idle partition's last owed message, so a batch comes and folds it. */
  foldSeeks: number;
  /** Batches held (resolved, not stored) to be stored with the partition's next ones (`BatchGathering`). */
  batchesHeld: number;
  /** Seeks back to the first held message of a partition that got no next batch in time. */
  gatherSeeks: number;
  /** INSERT statements of rows ClickHouse took (`JoinedInserts`). */
  inserts: number;
  /** The partition batches those INSERTs carried: more than `inserts` when several were joined. */
  insertedBatches: number;
}

/** A partition the worker stopped (paused) because going on would drop or corrupt data. */
export interface StalledPartition {
  topic: string;
  partition: number;
  reason: string;
}

export interface SinkWorkerOptions {
  consumer: Consumer;
  producer: Producer;
  ch: ClickHouseClient;
  /**
   * The client for the sink's INSERTs: one without keep-alive (`createClickHouse(config, db,
   * { keepAlive: false })`), because ClickHouse 18.16 leaves a connection that carried HTTP external
   * data unusable for the next request on it.
   */
  rowWriter: ClickHouseClient;
  logger: Logger;
  handlers: Record<string, TopicHandler>;
  dlqTopic: string;
  concurrency: number;
  /**
   * The shortest time between two rollup folds of a partition (`FoldSchedule`), and so the longest an
   * idle partition's last events wait for theirs; 0 folds every batch before its commit. Default 0.
   */
  foldIntervalMs?: number;
  /**
   * Consecutive batches of a partition gathered into one before they are stored (`BatchGathering`).
   * Default: every batch stored as it comes.
   */
  gather?: GatherOptions;
  /** Reports the sink's timings (the service's /metrics); none by default. */
  timings?: SinkTimings;
}

/**
 * Consumes topics into ClickHouse with an exactly-once effect (docs/ARCHITECTURE.md "Delivery
 * guarantees"): per partition batch, skip what is already stored (checking it is the same message),
 * insert the rest (one INSERT per month partition, which the server itself limits to offsets not
 * stored yet, joined with other partitions' waiting batches: `JoinedInserts`), fold the rollups (or leave that to a later batch, `FoldSchedule`), and only then commit
 * the offset. Transient failures are retried with backoff while heartbeating; records ClickHouse can
 * never take go to the dead-letter topic; a batch whose partition was revoked is abandoned; a partition
 * that cannot go on safely is paused, loudly.
 */
export class SinkWorker {
  readonly stats: SinkStats = {
    batches: 0,
    inserted: 0,
    duplicates: 0,
    alreadyStored: 0,
    rejected: 0,
    abandoned: 0,
    retries: 0,
    foldsPutOff: 0,
    foldSeeks: 0,
    batchesHeld: 0,
    gatherSeeks: 0,
    inserts: 0,
    insertedBatches: 0,
  };
  readonly stalled: StalledPartition[] = [];
  /** Messages held in memory right now, across partitions (`BatchGathering`). */
  get heldMessages(): number {
    return this.gathering.heldMessages;
  }
  private readonly rowStore: RowStore;
  private readonly fence: MembershipFence;
  private readonly writes: PartitionWrites;
  private readonly folds: FoldSchedule;
  private readonly gathering: BatchGathering;
  /** Partitions sought back to their first held message: their next batch is stored at once. */
  private readonly soughtForGathering = new Set<string>();
  /** The partitions (`partitionKey`) with a batch being processed: no seek back into those. */
  private readonly inFlight = new Set<string>();
  /** Per partition sought back: the owed message sent again, whose dead letters (if any) were sent. */
  private readonly replayed = new Map<string, string>();
  private owedTimer: NodeJS.Timeout | undefined;
  /** The partitions (`partitionKey`) of the last join's assignment; undefined before any join. */
  private assigned: Set<string> | undefined;
  /** Aborted on stop: nothing more is written or committed, and a back-off wait ends at once. */
  private readonly stopped = new AbortController();
  /** Heartbeat failures that need no rejoin (a timeout, a broker restarting): seen, not a line per batch. */
  private readonly warnHeartbeat = atMostEvery<unknown>(HEARTBEAT_WARN_EVERY_MS, (err) =>
    this.opts.logger.warn({ err }, 'heartbeat failed; kafkajs tries again with the next one'),
  );

  constructor(private readonly opts: SinkWorkerOptions) {
    // Every partition's back-off waits on this signal at once (AGGREGATE_CONCURRENCY of them): no cap.
    setMaxListeners(0, this.stopped.signal);
    this.fence = new MembershipFence(opts.consumer);
    this.writes = new PartitionWrites(opts.ch);
    const inserts = new JoinedInserts({
      writer: opts.rowWriter,
      queryId: (table) => this.writes.tableInsertId(table),
      stats: this.stats,
      abandoned: () => new BatchAbandoned(),
    });
    this.rowStore = new RowStore({ ch: opts.ch, inserts, stats: this.stats });
    this.folds = new FoldSchedule(opts.foldIntervalMs ?? 0);
    this.gathering = new BatchGathering(opts.gather ?? { minMessages: 1, maxWaitMs: 0 });
    opts.consumer.on(opts.consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload?.memberAssignment;
      this.assigned =
        assignment === undefined
          ? undefined
          : new Set(Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => partitionKey(t, p))));
      this.rowStore.forgetAll();
      this.folds.rejoined();
      this.replayed.clear();
      // kafkajs fetches every partition from its committed offset again: what was held comes again
      // (only its first offset is kept, for a batch fetched before the rejoin: `BatchGathering`).
      this.gathering.rejoined((topic, partition) => this.isAssigned(topic, partition));
      this.soughtForGathering.clear();
    });
    // Owed folds are uncommitted: once partitions may move, their next owner reads them again.
    opts.consumer.on(opts.consumer.events.REBALANCING, () => this.folds.rejoined());
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
    const ticks: number[] = [];
    const interval = this.opts.foldIntervalMs ?? 0;
    if (interval > 0) ticks.push(interval / 4);
    if (this.gathering.enabled) ticks.push((this.opts.gather?.maxWaitMs ?? 0) / 2);
    if (ticks.length > 0) {
      this.owedTimer = setInterval(() => this.askForOwedBatches(), Math.min(1_000, Math.max(50, Math.min(...ticks))));
      this.owedTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    clearInterval(this.owedTimer);
    await this.opts.consumer.disconnect();
  }

  /** Seeks back for what idle partitions owe: held messages to store first, then folds. */
  private askForOwedBatches(): void {
    if (this.stopped.signal.aborted) return;
    this.askForHeldBatches();
    this.askForOwedFolds();
  }

  /**
   * An idle partition gets no next batch to store its held messages with: once they have waited
   * long enough, seek back to the first of them, so they come again as a batch that is stored at once.
   * The first held offset, not the last: a seek kafkajs keeps across a rejoin then only skips messages
   * stored already (everything of the partition below it since the commit), never held ones.
   */
  private askForHeldBatches(): void {
    for (const held of this.gathering.due(Date.now())) {
      const k = partitionKey(held.topic, held.partition);
      // Membership changed: kafkajs reads the partition again from its commit once joined (which
      // forgets the held messages), or a batch of the new epoch seeks back (processBatch).
      if (this.fence.isFenced(held.epoch) || this.inFlight.has(k)) continue;
      this.gathering.asked(held.topic, held.partition, Date.now());
      if (!this.seekTo(held.topic, held.partition, held.first, 'held batches')) continue;
      this.soughtForGathering.add(k);
      this.stats.gatherSeeks += 1;
    }
  }

  /** Asks kafkajs to fetch the partition from `offset` again; false (logged) when it cannot (stopping, say). */
  private seekTo(topic: string, partition: number, offset: string, why: string): boolean {
    try {
      this.opts.consumer.seek({ topic, partition, offset });
      return true;
    } catch (err) {
      // Not running: what was owed is uncommitted, the partition's next owner reads it again.
      this.opts.logger.warn({ err: (err as Error).message, topic, partition, offset }, `seek back for ${why} failed`);
      return false;
    }
  }

  /**
   * An idle partition gets no batch to fold its owed batches with: seek back to its last owed message
   * (stored, so only its fold and commit happen again), once its interval has passed. kafkajs applies
   * the seek at its next fetch and drops responses for the partition arriving after the seek; a batch
   * of it fetched before is dropped by the fence's `isStale()` check. Not while a batch of the partition
   * is being processed: that one folds, or owes again; nor while it holds messages: their batch folds.
   */
  private askForOwedFolds(): void {
    for (const owed of this.folds.due(Date.now())) {
      const k = partitionKey(owed.topic, owed.partition);
      // Membership changed since (a rejoin kafkajs announced no rebalance for, say): the partition may
      // be someone else's, and a seek kafkajs keeps would apply if it came back. Its next owner folds it.
      if (this.fence.isFenced(owed.epoch)) {
        this.folds.forget(owed.topic, owed.partition);
        continue;
      }
      if (this.inFlight.has(k) || this.gathering.heldOf(owed.topic, owed.partition) !== undefined) continue;
      const offset = (owed.end - 1n).toString();
      this.folds.asked(owed.topic, owed.partition, Date.now());
      if (!this.seekTo(owed.topic, owed.partition, offset, 'an owed fold')) continue;
      this.replayed.set(k, offset);
      this.stats.foldSeeks += 1;
    }
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const k = partitionKey(payload.batch.topic, payload.batch.partition);
    this.inFlight.add(k);
    try {
      await this.processBatch(payload);
    } catch (err) {
      if (err instanceof BatchAbandoned) {
        this.stats.abandoned += 1;
        return;
      }
      if (err instanceof PartitionRefused) return this.refuse(payload.batch.topic, payload.batch.partition, err);
      throw err;
    } finally {
      this.inFlight.delete(k);
    }
  }

  private refuse(topic: string, partition: number, err: PartitionRefused): void {
    this.opts.logger.error(
      { topic, partition, reason: err.message },
      'partition stopped: nothing is skipped or committed',
    );
    this.stalled.push({ topic, partition, reason: err.message });
    this.folds.forget(topic, partition);
    // Paused: nothing of it is committed, so whoever reads it next (after a restart) reads these again.
    this.gathering.forget(topic, partition);
    this.opts.consumer.pause([{ topic, partitions: [partition] }]);
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty()) return;
    const handler = this.opts.handlers[batch.topic];
    if (!handler) throw new Error(`no handler for topic ${batch.topic}`);
    const ctx = batchContext(payload, handler, {
      logger: this.opts.logger,
      fence: this.fence,
      stopped: this.stopped.signal,
      onRetry: () => (this.stats.retries += 1),
      onHeartbeatError: (err) => this.noteHeartbeatError(err),
      checkSchema: (cause) => refuseIfDrifted(this.opts.ch, cause, this.stopped.signal),
    });
    const { topic, partition } = batch;
    const k = partitionKey(topic, partition);
    // A batch fetched before a seek back (isStale), or whose membership moved since it started, touches
    // nothing; nor one of a partition this member no longer has (fetched before a rejoin that moved it:
    // kafkajs runs one broker's batches while another's fetch rejoins). One of a partition still
    // assigned is checked against what was held (`gather`).
    if (ctx.fenced() || !this.isAssigned(topic, partition)) throw new BatchAbandoned();

    // The message sought back to (askForOwedFolds) had its dead letters sent when it first came.
    const replayed = this.replayed.get(k);
    this.replayed.delete(k);
    const sought = this.soughtForGathering.delete(k);
    const messages = this.gather(ctx, payload, replayed !== undefined || sought);
    if (messages === null) return;
    try {
      await this.storeBatch(ctx, payload, messages, replayed);
    } catch (err) {
      // If this batch took held messages, kafkajs' position is past them: mark where they start, so
      // the partition's next batch seeks back to them (unless it starts there) instead of passing over.
      const mark = markIfFailed(messages, batch.messages);
      if (mark !== undefined && !(err instanceof PartitionRefused)) this.gathering.markUnstored(topic, partition, mark);
      throw err;
    }
  }

  /**
   * Stores `messages` (one batch, or several gathered), sends their dead letters, then folds and
   * commits, or leaves both to a later batch (`FoldSchedule`).
   */
  private async storeBatch(
    ctx: BatchContext,
    payload: EachBatchPayload,
    messages: readonly SinkMessage[],
    replayed: string | undefined,
  ): Promise<void> {
    const { batch, resolveOffset } = payload;
    const { topic, partition, handler } = ctx;
    const storeStarted = performance.now();
    const prepared = await ctx.persist('preparing batch', () => handler.prepare(topic, partition, messages));
    // The message sought back to had its dead letters sent when it first came: its record's (prepare)
    // and ClickHouse's refusal of its row (storeMonth: not stored, so tried and refused again).
    const replayedOrigin = replayed === undefined ? undefined : kafkaPosition(topic, partition, replayed);
    const notReplayed = (r: DeadLetter) => r.origin !== replayedOrigin;
    const rejects = prepared.rejects.filter(notReplayed);
    const storedNow = new Set<string>();
    for (const [month, rows] of groupByMonth(prepared.rows)) {
      const done = await this.rowStore.storeMonth(ctx, messages, month, rows);
      // One by one: a spread of a large batch's rejects would overflow the call's arguments.
      for (const reject of done.rejects) if (notReplayed(reject)) rejects.push(reject);
      for (const offset of done.stored) storedNow.add(offset);
      await payload.heartbeat().catch((err: unknown) => this.noteHeartbeatError(err));
    }
    // An event's age is taken when its row is stored: not again when it is read again (a seek back for
    // an owed fold, a redelivery after a crash), nor for a duplicate or a refused row.
    const timed = messages.filter((m) => storedNow.has(m.offset));
    this.opts.timings?.stored(topic, timed, (performance.now() - storeStarted) / 1000, Date.now());
    if (rejects.length > 0) {
      await ctx.persist('sending dead letters', () =>
        produceJson(
          this.opts.producer,
          this.opts.dlqTopic,
          rejects.map((r) => ({ key: r.source, value: r })),
        ),
      );
    }

    // The batch's end, or that of the messages held before it if a batch sought back stops short of it.
    const lastHeld = messages[messages.length - 1]!.offset;
    const lastOffset = BigInt(lastHeld) > BigInt(batch.lastOffset()) ? lastHeld : batch.lastOffset();
    const end = BigInt(lastOffset) + 1n;
    // Fenced: kafkajs may have joined again (a fetch with stale metadata rejoins while other batches
    // run) and would take the resolve into its new position, past what is neither committed nor, for
    // a put-off batch, folded; leave it, and the partition is read again from the committed offset.
    const resolveNext = () => {
      if (ctx.fenced()) throw new BatchAbandoned();
      resolveOffset(lastOffset);
    };
    const countBatch = () => {
      this.stats.batches += 1;
      this.stats.duplicates += prepared.duplicates;
      this.stats.rejected += rejects.length;
    };
    const after = handler.afterStore?.bind(handler);
    const due = after === undefined || this.folds.foldNow(topic, partition, Date.now());
    const foldStarted = performance.now();
    const folded =
      after === undefined ||
      (due &&
        (await ctx.persist('deriving rollups', async () =>
          after(topic, partition, end, {
            queryId: await this.writes.queryId(topic, partition, 'fold'),
            // Between the derivation's statements too: a revoked owner stops at the next one.
            beforeWrite: () => {
              if (ctx.fenced()) throw new BatchAbandoned();
            },
          }),
        )));
    if (!folded) {
      // Stored; folded and committed with a later batch of the partition, or a seek back to this one
      // (`FoldSchedule`): the committed offset never passes the folded end. A due batch that was not
      // folded waits for batches reaching what a previous owner stored: those come without a seek.
      if (due)
        ctx.log.info({ end: end.toString() }, 'fold waits for batches reaching what is stored above the watermark');
      resolveNext();
      this.folds.putOff(topic, partition, end, { now: Date.now(), epoch: ctx.epoch, seek: !due });
      this.stats.foldsPutOff += 1;
      countBatch();
      return;
    }
    if (after) {
      this.folds.folded(topic, partition, Date.now());
      this.opts.timings?.folded((performance.now() - foldStarted) / 1000);
    }

    resolveNext();
    const next = end.toString();
    await ctx.persist('committing offset', () =>
      this.opts.consumer.commitOffsets([{ topic, partition, offset: next }]),
    );
    this.rowStore.committed(topic, partition, end);

    countBatch();
  }

  /**
   * The messages to store now: this batch's, with those held before it (`BatchGathering`), or null when
   * the batch is held (resolved so the fetch moves on; neither stored nor committed). `force`: a batch
   * sought back to is stored at once.
   */
  private gather(ctx: BatchContext, payload: EachBatchPayload, force: boolean): readonly SinkMessage[] | null {
    const { batch } = payload;
    const { topic, partition } = ctx;
    const held = this.gathering.heldOf(topic, partition);
    if (held !== undefined && held.epoch !== ctx.epoch) {
      // Held under an older membership, or a mark (rejoined, or a batch that took them failed). A batch
      // starting at or below their first offset reads them again; one above it (fetched before a rejoin,
      // or after a failed batch) would pass over them: seek back to the first (everything of the
      // partition below it since the commit is stored) and leave this batch untouched.
      this.gathering.forget(topic, partition);
      if (BigInt(batch.messages[0]!.offset) > BigInt(held.first)) {
        this.seekTo(topic, partition, held.first, 'messages held but not stored');
        throw new BatchAbandoned();
      }
    }
    const messages = this.gathering.add(topic, partition, batch.messages, { now: Date.now(), epoch: ctx.epoch, force });
    if (messages !== null) return messages;
    if (ctx.fenced()) throw new BatchAbandoned();
    payload.resolveOffset(batch.lastOffset());
    this.stats.batchesHeld += 1;
    return null;
  }

  private isAssigned(topic: string, partition: number): boolean {
    return this.assigned === undefined || this.assigned.has(partitionKey(topic, partition));
  }

  private noteHeartbeatError(err: unknown): void {
    if (mustRejoin(err)) this.fence.revoke();
    else this.warnHeartbeat(err);
  }
}
