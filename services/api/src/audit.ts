import { insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { Logger } from '@edusage/logging';
import type { ApiMetrics } from './metrics';

/** One API request as stored in `api_audit_log` (infra/clickhouse/0400_api_audit_log.sql). */
export interface AuditEntry {
  at: string;
  at_ms: number;
  request_id: string;
  token_id: string;
  role: string;
  district_id: string;
  method: string;
  route: string;
  params: string;
  status: number;
  duration_ms: number;
  ip: string;
}

/**
 * Writes the audit log in batches, off the request path: an entry is recorded after its response was
 * sent, and a timer inserts what waits every `flushMs`. A failed insert keeps the entries and retries
 * on the next tick (counted in edusage_api_audit_flush_failures_total); only when more than `maxBuffer`
 * entries wait (ClickHouse down for long) are the oldest dropped, counted and logged. On stop it tries
 * a few more times, then counts and logs what it could not write: never lost silently.
 */
export class AuditLog {
  private pending: AuditEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly ch: ClickHouseClient,
    private readonly logger: Logger,
    private readonly metrics: ApiMetrics,
    private readonly opts: { flushMs: number; batch: number; maxBuffer: number },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushMs);
    this.timer.unref();
  }

  record(entry: AuditEntry): void {
    this.pending.push(entry);
    if (this.pending.length > this.opts.maxBuffer) {
      const over = this.pending.splice(0, this.pending.length - this.opts.maxBuffer);
      this.metrics.auditDropped.inc({ reason: 'buffer_full' }, over.length);
      this.logger.error({ dropped: over.length, first: over[0]?.at }, 'audit log buffer full: oldest entries dropped');
    }
    this.metrics.auditPending.set(this.pending.length);
    if (this.pending.length >= this.opts.batch) void this.flush();
  }

  get waiting(): number {
    return this.pending.length;
  }

  /** Inserts what waits (one insert at a time); resolves when that insert has succeeded or failed. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending.slice(0, this.opts.batch);
    this.flushing = insertRows(this.ch, 'api_audit_log', batch)
      .then(() => {
        // Entries recorded meanwhile were appended after the batch: drop exactly the batch.
        this.pending.splice(0, batch.length);
        this.metrics.auditWritten.inc(batch.length);
      })
      .catch((err: unknown) => {
        this.metrics.auditFlushFailures.inc();
        this.logger.warn({ err: String(err), waiting: this.pending.length }, 'audit log write failed; will retry');
      })
      .finally(() => {
        this.flushing = null;
        this.metrics.auditPending.set(this.pending.length);
      });
    return this.flushing;
  }

  /** Stops the timer and writes what waits (a few attempts); what still cannot be written is counted and logged. */
  async stop(attempts = 5): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (let i = 0; i < attempts && this.pending.length > 0; i++) {
      const before = this.pending.length;
      await this.flush();
      if (this.pending.length >= before) await new Promise((r) => setTimeout(r, 200 * (i + 1)));
    }
    if (this.pending.length > 0) {
      this.metrics.auditDropped.inc({ reason: 'shutdown' }, this.pending.length);
      this.logger.error(
        { lost: this.pending.length, entries: this.pending.slice(0, 100) },
        'audit log entries could not be written before stopping',
      );
      this.pending = [];
    }
  }
}
