/**
 * Gathers a partition's consecutive Kafka batches into one larger batch before they are stored
 * (docs/ARCHITECTURE.md "Gathered batches"). Each stored batch costs ClickHouse three statements (the
 * claims lookup, the claims INSERT, the events INSERT: ~20 ms of server CPU whatever their size) and a
 * part to merge per table; a fetch brings at most AGGREGATE_MAX_BYTES_PER_PARTITION of a partition, so
 * under a backlog the statements, not the rows, are most of the cost. A held batch is only resolved
 * (the fetch moves on), never committed: a crash, stop or rebalance leaves it to be read again.
 *
 * Invariant the worker relies on: within one membership epoch, the held messages are every message of
 * the partition resolved since its last stored batch. So held messages are dropped only with a seek back
 * to the first of them (`firstHeld`), or when the group is joined again (kafkajs then fetches from the
 * committed offset).
 */

/** A Kafka message as the sink's handlers read it. */
export interface SinkMessage {
  offset: string;
  value: Buffer | null;
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
  epoch: number;
  /** When the first held batch came. */
  since: number;
  /** By offset: a batch sought back to overlaps what is held. */
  messages: Map<string, SinkMessage>;
  askedAt?: number;
}

/** A seek back that brought no batch (the partition moved meanwhile, say) is asked for again after this. */
const ASK_AGAIN_MS = 10_000;

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
    const key = heldKey(topic, partition);
    const before = this.held.get(key);
    if (!this.enabled || (before === undefined && (at.force || messages.length >= this.opts.minMessages))) {
      return messages;
    }
    const entry: Held = before ?? { topic, partition, epoch: at.epoch, since: at.now, messages: new Map() };
    // Copies: a kafkajs message's value is a slice of its whole fetch response, which holding it would keep.
    for (const m of messages) {
      if (!entry.messages.has(m.offset))
        entry.messages.set(m.offset, { offset: m.offset, value: m.value === null ? null : Buffer.from(m.value) });
    }
    const ready =
      at.force || entry.messages.size >= this.opts.minMessages || at.now - entry.since >= this.opts.maxWaitMs;
    if (!ready) {
      this.held.set(key, entry);
      return null;
    }
    this.held.delete(key);
    return inOffsetOrder([...entry.messages.values()]);
  }

  /** The epoch the partition's held messages were gathered under, if any are held. */
  epochOf(topic: string, partition: number): number | undefined {
    return this.held.get(heldKey(topic, partition))?.epoch;
  }

  /** The first held offset of the partition, if any. */
  firstHeld(topic: string, partition: number): string | undefined {
    const entry = this.held.get(heldKey(topic, partition));
    if (entry === undefined) return undefined;
    let first: string | undefined;
    for (const o of entry.messages.keys()) if (first === undefined || compareOffsets(o, first) < 0) first = o;
    return first;
  }

  /** The partitions whose held messages have waited `maxWaitMs` at `now` (and were not sought for lately). */
  due(now: number): DueGathering[] {
    const due: DueGathering[] = [];
    for (const e of this.held.values()) {
      if (now - e.since < this.opts.maxWaitMs) continue;
      if (e.askedAt !== undefined && now - e.askedAt < ASK_AGAIN_MS) continue;
      const first = this.firstHeld(e.topic, e.partition);
      if (first !== undefined) due.push({ topic: e.topic, partition: e.partition, first, epoch: e.epoch });
    }
    return due;
  }

  /** The worker sought back to the partition's first held message at `now`. */
  asked(topic: string, partition: number, now: number): void {
    const e = this.held.get(heldKey(topic, partition));
    if (e !== undefined) e.askedAt = now;
  }

  /**
   * Drops what is held of the partition. Only with a seek back to `firstHeld` in the same membership,
   * when the partition is paused, or once kafkajs reads it again from the committed offset.
   */
  forget(topic: string, partition: number): void {
    this.held.delete(heldKey(topic, partition));
  }

  /** The group was joined again: kafkajs fetches every partition from its committed offset. */
  rejoined(): void {
    this.held.clear();
  }

  /** Messages held across partitions (a gauge of what waits in memory). */
  get heldMessages(): number {
    let n = 0;
    for (const e of this.held.values()) n += e.messages.size;
    return n;
  }
}

const heldKey = (topic: string, partition: number): string => `${partition}/${topic}`;

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
