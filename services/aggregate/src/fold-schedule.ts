/** A partition's batch end whose fold was put off: every offset below `end` is stored and committed. */
export interface PendingFold {
  topic: string;
  partition: number;
  end: bigint;
}

interface PartitionFolds {
  /** When this worker last folded the partition (undefined: not since it got it). */
  lastFoldAt?: number;
  /** The end of the committed batches not folded yet. */
  pending?: bigint;
}

/**
 * Decides when the sink folds a partition's stored batches into the rollups (docs/ARCHITECTURE.md
 * "Rollups", "When the sink folds"). A fold costs about the same whatever its range, one contribution
 * row per cell, so under a backlog folding every batch writes the same cells again and again. A batch
 * is folded before its commit when the partition is caught up (the fetch saw no more messages), when it
 * is the first since the worker got the partition, or when `intervalMs` passed since the last fold;
 * otherwise its commit goes first and its end waits here for the next fold, which a timer also runs for
 * partitions whose batches stopped coming. Interval 0: every batch is folded before its commit.
 */
export class FoldSchedule {
  private readonly partitions = new Map<string, PartitionFolds>();

  constructor(private readonly intervalMs: number) {}

  /** Whether a batch that has just been stored should be folded before its commit. */
  foldNow(topic: string, partition: number, caughtUp: boolean, now: number): boolean {
    if (this.intervalMs === 0 || caughtUp) return true;
    const last = this.partitions.get(key(topic, partition))?.lastFoldAt;
    return last === undefined || now - last >= this.intervalMs;
  }

  /** A fold of the partition up to `end` finished at `now`. */
  folded(topic: string, partition: number, end: bigint, now: number): void {
    const state = this.state(topic, partition);
    state.lastFoldAt = now;
    if (state.pending !== undefined && state.pending <= end) delete state.pending;
  }

  /** Batches of the partition up to `end` are committed without a fold (or were, by an earlier owner). */
  putOff(topic: string, partition: number, end: bigint): void {
    const state = this.state(topic, partition);
    if (state.pending === undefined || end > state.pending) state.pending = end;
  }

  /** Put-off folds to run now: those whose partition was not folded for `intervalMs` (all with `all`). */
  due(now: number, all = false): PendingFold[] {
    const list: PendingFold[] = [];
    for (const [k, state] of this.partitions) {
      if (state.pending === undefined) continue;
      const waited = state.lastFoldAt === undefined || now - state.lastFoldAt >= this.intervalMs;
      if (!all && !waited) continue;
      const [topic, partition] = split(k);
      list.push({ topic, partition, end: state.pending });
    }
    return list;
  }

  /**
   * After a rebalance: the next batch of each partition `kept` (still this worker's) is folded before
   * its commit, and its put-off end stays; the others are forgotten (their next owner folds them).
   */
  rejoined(kept: (topic: string, partition: number) => boolean): void {
    for (const [k, state] of this.partitions) {
      if (kept(...split(k))) delete state.lastFoldAt;
      else this.partitions.delete(k);
    }
  }

  private state(topic: string, partition: number): PartitionFolds {
    const k = key(topic, partition);
    let state = this.partitions.get(k);
    if (!state) this.partitions.set(k, (state = {}));
    return state;
  }
}

const key = (topic: string, partition: number) => `${partition}/${topic}`;

function split(k: string): [string, number] {
  const slash = k.indexOf('/');
  return [k.slice(slash + 1), Number(k.slice(0, slash))];
}
