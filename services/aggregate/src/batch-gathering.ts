/**
 * Gathers a partition's consecutive Kafka batches into one larger batch before they are stored
 * (docs/ARCHITECTURE.md "Gathered batches"). Each stored batch costs ClickHouse three statements (the
 * claims lookup, the claims INSERT, the events INSERT: ~20 ms of server CPU whatever their size) and a
 * part to merge per table; a fetch brings at most AGGREGATE_MAX_BYTES_PER_PARTITION of a partition, so
 * under a backlog the statements, not the rows, are most of the cost. A held batch is only resolved
 * (the fetch moves on), never committed: a crash, stop or rebalance leaves it to be read again.
 *
 * Invariant the worker relies on: the held messages are every message of the partition resolved since
 * its last stored batch, and kafkajs will not fetch past them again unless they are read again first. So
 * a partition's entry leaves only when its messages are handed to a batch to store, when the partition is
 * paused or no longer assigned, or when a batch starting at or below its first offset comes. After a
 * rejoin (kafkajs fetches from the committed offset, but a batch fetched before the rejoin may still
 * come, resolving past them) and after a batch that took held messages failed, only the first offset is
 * kept (a *mark*): a later batch starting above it makes the worker seek back to it.
 */

import { mayAskAgain, noteAsked, partitionKey, QUIET_MS } from './fold-schedule';

/** A Kafka message as the sink's handlers read it. */
export interface SinkMessage {
  offset: string;
  value: Buffer | null;
  /** The record's timestamp (ms since the epoch, as kafkajs gives it): its age when stored is measured. */
  timestamp?: string;
}

export interface GatherOptions {
  /** Store once this many messages are held (with the batch that reaches it). */
  minMessages: number;
  /** Store a partition's held messages once the first of them has waited this long; 0: never hold. */
  maxWaitMs: number;
}

/** A partition whose held messages waited long enough and got no batch to be stored with: seek back to `first`. */
export interface DueGathering {
  topic: string;
  partition: number;
  /** The first held offset: the seek target (everything of the partition below it since the commit is stored). */
  first: string;
  epoch: number;
}

interface Held {
  topic: string;
  partition: number;
  /** The membership epoch it was gathered under; MARK_EPOCH for a mark. */
  epoch: number;
  /** The lowest held offset. */
  first: bigint;
  /** When the first held batch came. */
  since: number;
  /** When the last held batch came: a partition is sought back for only once it has been quiet. */
  lastAt: number;
  /** By offset: a batch sought back to overlaps what is held. */
  messages: Map<string, SinkMessage>;
  askedAt?: number;
  asks?: number;
}

/** The epoch of a mark left by a failed batch: no batch's epoch, so the next batch checks its start. */
const MARK_EPOCH = -1;

// A partition with held messages is sought back for only after no batch of it came for QUIET_MS (or
// the wait, if longer), as for owed folds. Under load its next fetch comes late (after the INSERTs of
// the partitions fetched with it) but comes, and stores what is held; a seek would fetch the held
// messages again and drop the batch already on its way (measured: 63–80 % of stored batches came from
// seeks with the wait alone). Also what an idle tail's storing may take beyond the wait.

export class BatchGathering {
  private readonly held = new Map<string, Held>();

  constructor(private readonly opts: GatherOptions) {}

  /** Whether batches are ever held. */
  get enabled(): boolean {
    return this.opts.maxWaitMs > 0 && this.opts.minMessages > 1;
  }

  /**
   * A batch of the partition came at `now` under `epoch`. Returns the messages to store now, in offset
   * order (those held before and these), or null: held, to be stored with a later batch. `force`: store
   * now whatever was gathered (a batch sought back to, say). The caller checks `epochOf` first.
   */
  add(
    topic: string,
    partition: number,
    messages: readonly SinkMessage[],
    at: { now: number; epoch: number; force: boolean },
  ): readonly SinkMessage[] | null {
    const key = partitionKey(topic, partition);
    const before = this.held.get(key);
    if (!this.enabled || (before === undefined && (at.force || messages.length >= this.opts.minMessages))) {
      return messages;
    }
    const entry: Held = before ?? {
      topic,
      partition,
      epoch: at.epoch,
      first: BigInt(messages[0]?.offset ?? 0),
      since: at.now,
      lastAt: at.now,
      messages: new Map(),
    };
    entry.lastAt = at.now;
    const newcomers = messages.filter((m) => !entry.messages.has(m.offset));
    const ready =
      at.force ||
      entry.messages.size + newcomers.length >= this.opts.minMessages ||
      at.now - entry.since >= this.opts.maxWaitMs;
    if (ready) {
      this.held.delete(key);
      return inOffsetOrder([...entry.messages.values(), ...newcomers]);
    }
    // Copies: a kafkajs message's value is a slice of its whole fetch response, which holding it would keep.
    for (const m of newcomers) {
      const copy: SinkMessage = { offset: m.offset, value: m.value === null ? null : Buffer.from(m.value) };
      if (m.timestamp !== undefined) copy.timestamp = m.timestamp;
      entry.messages.set(m.offset, copy);
      if (BigInt(m.offset) < entry.first) entry.first = BigInt(m.offset);
    }
    this.held.set(key, entry);
    return null;
  }

  /**
   * The partition's entry, if any: its first offset and the epoch it was gathered under (a mark's
   * never equals a batch's). The caller stores with it only a batch of the same epoch (`add`).
   */
  heldOf(topic: string, partition: number): { first: string; epoch: number } | undefined {
    const entry = this.held.get(partitionKey(topic, partition));
    return entry === undefined ? undefined : { first: entry.first.toString(), epoch: entry.epoch };
  }

  /**
   * A batch that took the partition's held messages from `first` on failed before its commit (it was
   * abandoned, say): kafkajs' position is past them, so keep a mark of where they start.
   */
  markUnstored(topic: string, partition: number, first: string): void {
    const key = partitionKey(topic, partition);
    const before = this.held.get(key);
    const at = before === undefined || BigInt(first) < before.first ? BigInt(first) : before.first;
    this.held.set(key, { topic, partition, epoch: MARK_EPOCH, first: at, since: 0, lastAt: 0, messages: new Map() });
  }

  /**
   * The partitions whose held messages have waited `maxWaitMs` at `now`, that got no batch for
   * QUIET_MS (or the wait, if longer), and were not sought for lately: idle, worth a seek back.
   */
  due(now: number): DueGathering[] {
    const due: DueGathering[] = [];
    for (const e of this.held.values()) {
      if (e.messages.size === 0 || now - e.since < this.opts.maxWaitMs) continue;
      if (now - e.lastAt < Math.max(QUIET_MS, this.opts.maxWaitMs)) continue;
      if (!mayAskAgain(e, now)) continue;
      due.push({ topic: e.topic, partition: e.partition, first: e.first.toString(), epoch: e.epoch });
    }
    return due;
  }

  /** The worker sought back to the partition's first held message at `now`. */
  asked(topic: string, partition: number, now: number): void {
    const e = this.held.get(partitionKey(topic, partition));
    if (e !== undefined) noteAsked(e, now);
  }

  /**
   * Drops the partition's entry: it is paused, a batch starting at or below its first offset came, or
   * the worker sought back to that offset.
   */
  forget(topic: string, partition: number): void {
    this.held.delete(partitionKey(topic, partition));
  }

  /**
   * The group was joined again: kafkajs fetches every partition from its committed offset, so the held
   * messages come again and are let go. For the partitions still `assigned`, their first offsets stay
   * as marks (under the old epoch): a batch fetched before the rejoin and processed after it would
   * otherwise resolve past them. The next batch of the partition ends the mark (kafkajs reads from the
   * commit, at or below it). The others' go: the worker leaves batches of unassigned partitions alone.
   */
  rejoined(assigned: (topic: string, partition: number) => boolean): void {
    for (const [key, e] of this.held) {
      if (assigned(e.topic, e.partition)) e.messages.clear();
      else this.held.delete(key);
    }
  }

  /** Messages held now across partitions (`edusage_aggregate_messages_held`). */
  get heldMessages(): number {
    let n = 0;
    for (const e of this.held.values()) n += e.messages.size;
    return n;
  }
}

/**
 * Where a mark goes if the batch that brought `own` and is storing `taken` fails (`markUnstored`): the
 * first taken offset when some taken message was held, not brought by this batch (kafkajs' position is
 * past those, so it would not read them again), else undefined (kafkajs reads the batch again).
 * `taken` holds every offset of `own` (`add`), so a count tells. Not the first offsets: a batch starting
 * below the held ones (another broker's fetcher's, during a leader move) takes them while starting
 * where it starts.
 */
export function markIfFailed(taken: readonly SinkMessage[], own: readonly SinkMessage[]): string | undefined {
  return taken.length !== own.length ? taken[0]?.offset : undefined;
}

/** Batches come in offset order, so the held messages almost always are already: sort only if not. */
function inOffsetOrder(messages: SinkMessage[]): SinkMessage[] {
  for (let i = 1; i < messages.length; i += 1) {
    if (compareOffsets(messages[i - 1]!.offset, messages[i]!.offset) > 0)
      return messages.sort((a, b) => compareOffsets(a.offset, b.offset));
  }
  return messages;
}

function compareOffsets(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
