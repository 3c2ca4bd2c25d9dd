import type { PartitionEnd } from './rollup-deriver';

/** Folds the stored batch ends of several partitions of one topic in one go (`deriveRollupsOf`). */
export type FoldMany = (topic: string, ends: readonly PartitionEnd[]) => Promise<unknown>;

interface Waiter {
  end: PartitionEnd;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers the folds the sink's partition batches ask for into as few folds as possible, without waiting
 * on a timer: a request made while no fold runs starts one at once; requests made while one runs are
 * folded together by the next (docs/ARCHITECTURE.md "Rollups"). Each request settles when a fold that
 * included it finished (or failed: its batch retries, asking again), so a batch still commits its
 * offset only after its events are folded. Under load, partitions processed at the same time share
 * one watermark read, one INSERT per rollup level and one watermark INSERT.
 */
export class FoldCoalescer {
  private readonly waiting = new Map<string, Waiter[]>();
  private running = false;
  /** Folds run and requests they served: the coalescing this buys, for the metrics. */
  readonly stats = { folds: 0, requests: 0 };

  constructor(private readonly foldMany: FoldMany) {}

  /** Resolves once every offset of `partition` below `upTo` is folded (or rejects, to be asked again). */
  fold(topic: string, partition: number, upTo: bigint): Promise<void> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(topic) ?? [];
      list.push({ end: { partition, upTo }, resolve, reject });
      this.waiting.set(topic, list);
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.size > 0) {
        const [topic, waiters] = this.waiting.entries().next().value as [string, Waiter[]];
        this.waiting.delete(topic);
        try {
          await this.foldMany(
            topic,
            waiters.map((w) => w.end),
          );
          this.stats.folds += 1;
          this.stats.requests += waiters.length;
          for (const w of waiters) w.resolve();
        } catch (err) {
          for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
