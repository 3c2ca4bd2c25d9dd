/**
 * Decides whether a stored batch is folded into the rollups now (docs/ARCHITECTURE.md "When the sink
 * folds"). A fold writes one contribution row per cell it touches whatever its range, and every row
 * above the compaction's marks is read by each report of the current month: folding every batch of a
 * caught-up partition (a live district: several a second) multiplies those rows. So a partition is
 * folded at most once per `intervalMs`, plus its first batch since the worker (re)joined its group.
 *
 * A batch that is not folded is not committed either: its offset is only resolved (the fetch moves
 * on), so the committed offset never passes the folded end. Its fold is owed: the partition's next due
 * batch folds from the watermark and covers it. When no batch comes (an idle partition), `due` names
 * the owed partitions whose interval has passed, and the worker seeks back to the last owed message so
 * that a batch comes and folds: every fold still runs inside a batch. Interval 0: every batch is folded.
 */
export interface OwedFold {
  topic: string;
  partition: number;
  /** The end (last offset + 1) of the partition's stored, unfolded, uncommitted batches. */
  end: bigint;
  /** When its last batch was put off: a seek back waits until the partition has been quiet a while. */
  at: number;
  /** The worker's membership epoch (`MembershipFence`) then: no seek once it changed. */
  epoch: number;
  /** False: the fold waits for batches reaching what a previous owner stored, which will come by themselves. */
  seek: boolean;
  /** When the worker last sought back for it (undefined: not yet since the last batch). */
  askedAt?: number;
  /** Seeks asked for since the last batch. */
  asks?: number;
}

/**
 * A seek back that brought no batch (the partition moved meanwhile, say) is asked for again after this,
 * then after twice as long each time, up to ASK_AGAIN_MAX_MS: kafkajs drops the batches fetched before a
 * seek, so while fetch cycles take longer than the wait, asking at a fixed pace would drop every batch
 * the last seek was bringing and the partition would get none.
 */
export const ASK_AGAIN_MS = 10_000;
export const ASK_AGAIN_MAX_MS = 60_000;

/** When a partition's seek back was last asked for, and how many times in a row. */
export interface SeekAsks {
  askedAt?: number;
  asks?: number;
}

/** Whether a seek back may be asked for (again) at `now`. */
export function mayAskAgain(a: SeekAsks, now: number): boolean {
  if (a.askedAt === undefined) return true;
  const wait = Math.min(ASK_AGAIN_MS * 2 ** Math.max(0, (a.asks ?? 1) - 1), ASK_AGAIN_MAX_MS);
  return now - a.askedAt >= wait;
}

/** A seek back was asked for at `now`. */
export function noteAsked(a: SeekAsks, now: number): void {
  a.askedAt = now;
  a.asks = (a.asks ?? 0) + 1;
}

/**
 * A partition is idle (worth a seek back) when no batch of it was put off for this long, or the
 * interval if shorter: under a backlog its next batch is on its way and folds by itself.
 */
export const QUIET_MS = 1_000;

export class FoldSchedule {
  /** When this worker last folded each partition ("partition/topic") since it joined. */
  private readonly lastFoldAt = new Map<string, number>();
  /** The partitions whose stored batches wait for a fold (and their commit). */
  private readonly owed = new Map<string, OwedFold>();

  constructor(private readonly intervalMs: number) {}

  /** Whether a batch that has just been stored is folded (and committed) now. */
  foldNow(topic: string, partition: number, now: number): boolean {
    if (this.intervalMs === 0) return true;
    const last = this.lastFoldAt.get(partitionKey(topic, partition));
    return last === undefined || now - last >= this.intervalMs;
  }

  /** A fold of the partition finished at `now`: it covers everything owed. */
  folded(topic: string, partition: number, now: number): void {
    this.lastFoldAt.set(partitionKey(topic, partition), now);
    this.owed.delete(partitionKey(topic, partition));
  }

  /**
   * A batch of the partition, stored up to `end`, was left unfolded and uncommitted at `now`, under
   * membership `epoch`; `seek` false when it waits for batches reaching a previous owner's stored end.
   */
  putOff(topic: string, partition: number, end: bigint, at: { now: number; epoch: number; seek: boolean }): void {
    this.owed.set(partitionKey(topic, partition), {
      topic,
      partition,
      end,
      at: at.now,
      epoch: at.epoch,
      seek: at.seek,
    });
  }

  /**
   * The owed folds worth a seek back at `now`: their interval has passed, the partition has been quiet
   * (QUIET_MS, or the interval if shorter), and no seek was asked for lately (`mayAskAgain`).
   */
  due(now: number): OwedFold[] {
    const quiet = Math.min(QUIET_MS, this.intervalMs);
    return [...this.owed.values()].filter(
      (o) => o.seek && now - o.at >= quiet && this.foldNow(o.topic, o.partition, now) && mayAskAgain(o, now),
    );
  }

  /** Nothing is owed for the partition any more (it was paused, or lost: its next owner folds it). */
  forget(topic: string, partition: number): void {
    this.owed.delete(partitionKey(topic, partition));
  }

  /** The worker sought back to the partition's last owed message at `now`. */
  asked(topic: string, partition: number, now: number): void {
    const o = this.owed.get(partitionKey(topic, partition));
    if (o !== undefined) noteAsked(o, now);
  }

  /**
   * The group is rebalancing or was joined again: partitions may have moved. What was owed is
   * uncommitted, so whoever owns the partition now reads it again and folds it with its first batch.
   */
  rejoined(): void {
    this.lastFoldAt.clear();
    this.owed.clear();
  }
}

/** One key per topic partition, for the sink's maps of partitions ("partition/topic": a topic may hold '/'). */
export const partitionKey = (topic: string, partition: number): string => `${partition}/${topic}`;
