import type { Logger } from '@edusage/logging';
import { retryWithBackoff } from '@edusage/runtime';
import type { MembershipFence } from './fence';
import { FoldSchedule } from './fold-schedule';
import type { TopicHandler } from './handlers';

export interface FoldRunnerOptions {
  handlers: Record<string, TopicHandler>;
  /** `FoldSchedule`'s interval; 0 folds every batch before its commit. */
  intervalMs: number;
  fence: MembershipFence;
  logger: Logger;
  /** The offsets the worker's group committed on a topic, by partition (for the takeover). */
  committedOffsets?: (topic: string) => Promise<Map<number, bigint>>;
}

/**
 * Runs the sink's rollup folds (`afterStore`) for one worker: a batch's fold before its commit, the
 * folds `FoldSchedule` put off, and after a rebalance the folds an earlier owner put off and never ran.
 *
 * Two folds of one partition must never overlap: both read the watermark W, and if the shorter one's
 * watermark lands first, the longer one's level INSERTs add nothing while its watermark still moves,
 * so the events between the two ends would never be folded. So every fold of a partition waits for the
 * one before it, and a put-off fold runs only while the partition is this worker's (the membership
 * fence): across workers the window is the one docs/ARCHITECTURE.md "Rollups" already states.
 */
export class FoldRunner {
  private readonly schedule: FoldSchedule;
  /** Per partition, the fold under way or last run: the next one starts after it. */
  private readonly chains = new Map<string, Promise<void>>();
  private assignment = { epoch: -1, partitions: new Set<string>() };
  private timer: NodeJS.Timeout | null = null;
  /** The run of due put-off folds under way. */
  private run: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly opts: FoldRunnerOptions) {
    this.schedule = new FoldSchedule(opts.intervalMs);
  }

  start(): void {
    if (this.opts.intervalMs === 0) return;
    this.timer = setInterval(() => void this.runDue(false), Math.max(100, this.opts.intervalMs / 2));
    this.timer.unref();
  }

  /**
   * The worker (re)joined its group with `assignment` (called after the fence moved to the new epoch).
   * Ends put off for partitions it lost are left to their new owner's takeover; its own partitions'
   * committed offsets are read and folded up to.
   */
  rejoined(assignment: Record<string, number[]>): void {
    const partitions = new Set(
      Object.entries(assignment).flatMap(([topic, list]) => list.map((p) => partitionKey(topic, p))),
    );
    this.assignment = { epoch: this.opts.fence.current(), partitions };
    this.schedule.rejoined((topic, partition) => partitions.has(partitionKey(topic, partition)));
    void this.takeOver(assignment);
  }

  /** Whether a stored batch is folded before its commit (`FoldSchedule.foldNow`). */
  foldNow(topic: string, partition: number, caughtUp: boolean): boolean {
    return this.schedule.foldNow(topic, partition, caughtUp, Date.now());
  }

  /** Folds the partition up to `end` (a batch's, before its commit), after any fold of it under way. */
  fold(topic: string, partition: number, end: bigint): Promise<void> {
    return this.serially(topic, partition, async () => {
      await this.afterStore(topic, partition, end);
      this.schedule.folded(topic, partition, end, Date.now());
    });
  }

  /** Batches of the partition up to `end` were committed without a fold. */
  putOff(topic: string, partition: number, end: bigint): void {
    this.schedule.putOff(topic, partition, end);
  }

  /** Folds every put-off end while the worker is still in its group (call before leaving it). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.run;
    await this.runDue(true);
  }

  /** Runs the put-off folds that are due (all with `all`), one after the other; a failed one stays put off. */
  private runDue(all: boolean): Promise<void> {
    if (this.run) return all ? this.run.then(() => this.runDue(true)) : this.run;
    const folds = async () => {
      for (const due of this.schedule.due(Date.now(), all)) {
        if (!this.owns(due.topic, due.partition)) continue;
        try {
          await this.fold(due.topic, due.partition, due.end);
        } catch (err) {
          this.opts.logger.warn(
            { topic: due.topic, partition: due.partition, end: due.end.toString(), err: (err as Error).message },
            'put-off rollup fold failed: trying again later',
          );
        }
      }
    };
    this.run = folds().finally(() => (this.run = null));
    return this.run;
  }

  /** Whether the partition is this worker's now: assigned at the last join, and no revocation since. */
  private owns(topic: string, partition: number): boolean {
    return (
      this.assignment.partitions.has(partitionKey(topic, partition)) && !this.opts.fence.isFenced(this.assignment.epoch)
    );
  }

  /**
   * An earlier owner may have committed batches whose fold it put off and never ran (it crashed): fold
   * the partitions this worker got up to their committed offsets now, even if no new message ever comes
   * (nothing new to fold is one watermark read).
   */
  private async takeOver(assignment: Record<string, number[]>): Promise<void> {
    const committedOffsets = this.opts.committedOffsets;
    if (!committedOffsets) return;
    for (const [topic, partitions] of Object.entries(assignment)) {
      if (!this.opts.handlers[topic]?.afterStore || partitions.length === 0 || this.stopping) continue;
      let committed: Map<number, bigint>;
      try {
        committed = await retryWithBackoff(() => committedOffsets(topic), {
          initialMs: 500,
          maxMs: 10_000,
          maxAttempts: 6,
          shouldAbort: () => this.stopping,
        });
      } catch (err) {
        if (this.stopping) return;
        this.opts.logger.error(
          { topic, err: (err as Error).message },
          "could not read the group's committed offsets: folds an earlier owner put off wait for new messages",
        );
        continue;
      }
      for (const partition of partitions) {
        const end = committed.get(partition);
        if (end !== undefined && end > 0n) this.schedule.putOff(topic, partition, end);
      }
    }
    // At once rather than at the next tick: a drained group should mean folded rollups soon after.
    if (!this.stopping) void this.runDue(false);
  }

  private afterStore(topic: string, partition: number, end: bigint): Promise<void> {
    const handler = this.opts.handlers[topic];
    if (!handler?.afterStore) return Promise.resolve();
    return handler.afterStore(topic, partition, end);
  }

  private serially(topic: string, partition: number, fn: () => Promise<void>): Promise<void> {
    const key = partitionKey(topic, partition);
    const next = (this.chains.get(key) ?? Promise.resolve()).then(fn);
    this.chains.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }
}

const partitionKey = (topic: string, partition: number) => `${partition}/${topic}`;
