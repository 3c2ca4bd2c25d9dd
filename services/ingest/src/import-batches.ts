import type { JsonMessage } from '@edusage/kafka';
import type { EventSink } from './sink';
import type { ImportSummary } from './import';

/** The summary's counts that only grow once Kafka acknowledged the messages behind them. */
export type AcknowledgedCounts = Pick<ImportSummary, 'accepted' | 'rejected' | 'rejectedByReason'>;

interface BatchCounts {
  accepted: number;
  rejected: number;
  byReason: Record<string, number>;
}

/**
 * The import's way to Kafka: buffers events (usage.raw) and dead letters (usage.dlq) into one batch,
 * sends it on `flush` with at most `maxInFlight` batches unacknowledged (bounds memory), and adds a
 * batch's counts to `acknowledged` only once Kafka took it. A failed send is kept, not thrown from
 * the send's own promise: the import stops at its next step (`throwIfFailed`, `flush`, `finish`).
 */
export class ImportBatches {
  private raw: JsonMessage[] = [];
  private dlq: JsonMessage[] = [];
  private counts = newCounts();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;

  constructor(
    private readonly sink: EventSink,
    private readonly acknowledged: AcknowledgedCounts,
    private readonly maxInFlight: number,
  ) {}

  /** Messages waiting for the next batch. */
  get size(): number {
    return this.raw.length + this.dlq.length;
  }

  /** Events and dead letters waiting for the next batch (not yet sent, so not yet acknowledged). */
  get buffered(): { readonly accepted: number; readonly rejected: number } {
    return this.counts;
  }

  addEvent(message: JsonMessage): void {
    this.raw.push(message);
    this.counts.accepted++;
  }

  addDeadLetter(message: JsonMessage, reasonCode: string): void {
    this.dlq.push(message);
    this.counts.rejected++;
    this.counts.byReason[reasonCode] = (this.counts.byReason[reasonCode] ?? 0) + 1;
  }

  /** Throws the first failed send, if any. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Sends what is buffered as one batch, once fewer than `maxInFlight` batches await acknowledgement. */
  async flush(): Promise<void> {
    if (this.raw.length === 0 && this.dlq.length === 0) return;
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const batch = { raw: this.raw, dlq: this.dlq };
    const counts = this.counts;
    this.raw = [];
    this.dlq = [];
    this.counts = newCounts();
    const sent: Promise<void> = this.sink
      .send(batch)
      .then(() => this.acknowledge(counts))
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.inFlight.delete(sent);
      });
    this.inFlight.add(sent);
  }

  /** Sends the rest and waits until Kafka acknowledged every batch; throws if any send failed. */
  async finish(): Promise<void> {
    await this.flush();
    await Promise.all(this.inFlight);
    this.throwIfFailed();
  }

  private acknowledge(counts: BatchCounts): void {
    this.acknowledged.accepted += counts.accepted;
    this.acknowledged.rejected += counts.rejected;
    for (const [code, n] of Object.entries(counts.byReason))
      this.acknowledged.rejectedByReason[code] = (this.acknowledged.rejectedByReason[code] ?? 0) + n;
  }
}

function newCounts(): BatchCounts {
  return { accepted: 0, rejected: 0, byReason: {} };
}
