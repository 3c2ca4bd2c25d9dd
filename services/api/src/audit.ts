import { insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { Logger } from '@edusage/logging';
import type { ApiMetrics } from './metrics';

/** One API request as stored in `api_audit_log` (infra/clickhouse/0400_api_audit_log.sql, 0401). */
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
  /** 1: the client left before the response finished (0401_api_audit_log_aborted.sql). */
  aborted: number;
}

/**
 * Writes the audit log in batches, off the request path: an entry is recorded after its response was
 * sent (or its client left), and a timer inserts what waits every `flushMs`. A failed insert keeps the
 * entries and retries on the next tick (counted in edusage_api_audit_flush_failures_total); only when more
 * than `maxBuffer` entries wait (ClickHouse down for long) are the oldest dropped, counted and logged. On
 * stop it tries a few more times, then counts and logs what it could not write: never lost silently.
 *
 * The batch being inserted is taken out of `pending` (and put back in front if the insert fails), so
 * a trim never drops an entry that insert may still write, and a success removes exactly the batch.
 */
export class AuditLog {
  /** Entries waiting, oldest first, not counting the batch being inserted. */
  private pending: AuditEntry[] = [];
  private inFlight: readonly AuditEntry[] = [];
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
    this.trim();
    this.metrics.auditPending.set(this.waiting);
    if (this.pending.length >= this.opts.batch) void this.flush();
  }

  /** Entries not written yet: those waiting and the batch being inserted. */
  get waiting(): number {
    return this.pending.length + this.inFlight.length;
  }

  /** Past `maxBuffer` unwritten entries, drops the oldest waiting (never the batch in flight): counted and logged. */
  private trim(): void {
    const over = Math.min(this.pending.length, this.waiting - this.opts.maxBuffer);
    if (over <= 0) return;
    const dropped = this.pending.splice(0, over);
    this.metrics.auditDropped.inc({ reason: 'buffer_full' }, dropped.length);
    this.logger.error(
      { dropped: dropped.length, first: dropped[0]?.at, entries: dropped.slice(0, 100) },
      'audit log buffer full: oldest entries dropped',
    );
  }

  /** Inserts what waits (one insert at a time); resolves when that insert has succeeded or failed. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.opts.batch);
    this.inFlight = batch;
    this.flushing = insertRows(this.ch, 'api_audit_log', batch)
      .then(
        () => {
          this.inFlight = [];
          this.metrics.auditWritten.inc(batch.length);
        },
        (err: unknown) => {
          // Back in front, oldest first; entries recorded meanwhile may now push the oldest out.
          this.inFlight = [];
          this.pending = batch.concat(this.pending);
          this.trim();
          this.metrics.auditFlushFailures.inc();
          this.logger.warn({ err: String(err), waiting: this.waiting }, 'audit log write failed; will retry');
        },
      )
      .finally(() => {
        this.flushing = null;
        this.metrics.auditPending.set(this.waiting);
      });
    return this.flushing;
  }

  /** Stops the timer and writes what waits (a few attempts); what still cannot be written is counted and logged. */
  async stop(attempts = 5): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (let i = 0; i < attempts && this.waiting > 0; i++) {
      const before = this.waiting;
      await this.flush();
      if (this.waiting >= before) await new Promise((r) => setTimeout(r, 200 * (i + 1)));
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
