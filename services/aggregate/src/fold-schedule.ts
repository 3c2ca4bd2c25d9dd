/**
 * Decides whether a stored batch is folded into the rollups before its commit (docs/ARCHITECTURE.md
 * "When the sink folds"). A fold costs about the same whatever its range, one contribution row per cell
 * it touches, so under a backlog folding every batch writes the same cells again and again. A batch is
 * folded when its partition is caught up (the fetch saw no later message), when it is the first since
 * the worker (re)joined its group, or when `intervalMs` passed since the partition's last fold.
 * Otherwise it is committed unfolded: the fetch saw later messages, and the batch that carries them
 * (this worker's, or a new owner's first) folds from the watermark, so it covers this one too.
 * Interval 0: every batch is folded.
 */
export class FoldSchedule {
  /** When this worker last folded each partition ("partition/topic") since it joined. */
  private readonly lastFoldAt = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  /** Whether a batch that has just been stored is folded before its commit. */
  foldNow(topic: string, partition: number, caughtUp: boolean, now: number): boolean {
    if (this.intervalMs === 0 || caughtUp) return true;
    const last = this.lastFoldAt.get(key(topic, partition));
    return last === undefined || now - last >= this.intervalMs;
  }

  /** A fold of the partition finished at `now`. */
  folded(topic: string, partition: number, now: number): void {
    this.lastFoldAt.set(key(topic, partition), now);
  }

  /** After a rebalance the first batch of every partition is folded. */
  rejoined(): void {
    this.lastFoldAt.clear();
  }
}

const key = (topic: string, partition: number) => `${partition}/${topic}`;
