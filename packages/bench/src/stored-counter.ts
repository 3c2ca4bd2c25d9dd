import { setTimeout as sleep } from 'node:timers/promises';
import { queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';

/** Polls SELECT count() for the load's district every 500 ms and keeps (time, count) samples. */
export class StoredCounter {
  readonly samples: { at: number; count: number }[] = [];
  latest = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly db: ClickHouseClient,
    private readonly districtId: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), 500);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const at = Date.now();
    try {
      const [row] = await queryRows<{ n: string }>(
        this.db,
        `SELECT count() AS n FROM usage_events WHERE district_id = ${sqlString(this.districtId)}`,
      );
      this.latest = Number(row?.n ?? 0);
      this.samples.push({ at, count: this.latest });
    } catch {
      // a failed poll is simply retried at the next tick
    } finally {
      this.busy = false;
    }
  }

  /** Resolves with the start time of the first poll that saw at least `n` rows. */
  async waitFor(n: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.samples.find((s) => s.count >= n);
      if (hit) return hit.at;
      if (Date.now() > deadline)
        throw new Error(`only ${this.latest} of ${n} events stored after ${timeoutMs / 1000} s`);
      await sleep(100);
    }
  }

  /** Rows stored per second between the first samples reaching `lo` and `hi` of `total` (counted above `base`). */
  steadyRate(total: number, lo: number, hi: number, base: number): number {
    const a = this.samples.find((s) => s.count - base >= lo * total);
    const b = this.samples.find((s) => s.count - base >= hi * total);
    if (!a || !b || b.at === a.at) return NaN;
    return (b.count - a.count) / ((b.at - a.at) / 1000);
  }
}
