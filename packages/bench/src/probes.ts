import { queryRows, sqlList, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { enrichedEventId } from '@edusage/enrich';
import { postEvents } from './load';

export interface Probe {
  /** The event_id the probe is sent with. */
  id: string;
  /** Its event_id in usage_events (enrich's keyed digest of `id`). */
  storedId: string;
  phase: string;
  sentAt: number;
  /** When ingest answered 202 (the event is acknowledged by Kafka). */
  ackAt?: number;
  /** Start of the first ClickHouse poll that saw the event. */
  visibleAt?: number;
  /** Timestamp of its usage.raw record (ingest's producer), read after the run (`readProbeHops`). */
  producedAt?: number;
  /** Timestamp of its usage.enriched record (enrich's producer), read after the run. */
  enrichedAt?: number;
}

/**
 * Latency probes: single-event requests at a steady rate, in a district of their own (so they are
 * found by a primary-key prefix and never mix with the load's counts), each with a unique event_id.
 * A poller asks ClickHouse every `pollMs` which pending probes are visible in usage_events, by the
 * event_id enrich stores for them (`enrichedEventId` of the pseudonym key enrich runs with, the probes'
 * district, the source of `apiKey` and the sent id).
 */
export class ProbeRunner {
  readonly probes: Probe[] = [];
  private sendTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollLoop: Promise<void> | undefined;
  private seq = 0;
  phase = 'warm-up';
  errors = 0;

  constructor(
    private readonly baseUrl: string,
    /** An API key of `districtId` for `source`. */
    private readonly apiKey: string,
    private readonly source: string,
    private readonly ch: ClickHouseClient,
    private readonly districtId: string,
    /** The PSEUDONYM_KEY enrich runs with. */
    private readonly pseudonymKey: string,
    private readonly runId: string,
    private readonly pollMs = 250,
  ) {}

  /** Sends one probe now. */
  send(): Probe {
    const i = this.seq++;
    const id = `probe-${this.runId}-${i}`;
    const storedId = enrichedEventId(this.pseudonymKey, this.districtId, this.source, id);
    const probe: Probe = { id, storedId, phase: this.phase, sentAt: Date.now() };
    this.probes.push(probe);
    const event = {
      event_id: probe.id,
      occurred_at: new Date().toISOString(),
      type: 'use',
      user: { sourced_id: `probe-user-${i % 97}` },
      app: { app_id: 'google-docs' },
      active_seconds: 30,
    };
    postEvents(this.baseUrl, this.apiKey, JSON.stringify(event) + '\n')
      .then((r) => {
        if (r.accepted === 1) probe.ackAt = Date.now();
        else this.errors += 1;
      })
      .catch(() => {
        this.errors += 1;
      });
    return probe;
  }

  startSending(ratePerSecond: number): void {
    this.stopSending();
    if (ratePerSecond <= 0) return;
    this.sendTimer = setInterval(() => this.send(), 1000 / ratePerSecond);
  }

  stopSending(): void {
    if (this.sendTimer) clearInterval(this.sendTimer);
    this.sendTimer = undefined;
  }

  startPolling(): void {
    if (this.polling) return;
    this.polling = true;
    this.pollLoop = (async () => {
      while (this.polling) {
        const started = Date.now();
        await this.pollOnce(started).catch(() => undefined);
        const wait = this.pollMs - (Date.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
  }

  async stopPolling(): Promise<void> {
    this.polling = false;
    await this.pollLoop;
  }

  pending(): Probe[] {
    return this.probes.filter((p) => p.ackAt !== undefined && p.visibleAt === undefined);
  }

  private async pollOnce(startedAt: number): Promise<void> {
    const pending = this.pending();
    if (pending.length === 0) return;
    const byId = new Map(pending.map((p) => [p.storedId, p]));
    const rows = await queryRows<{ event_id: string }>(
      this.ch,
      `SELECT event_id FROM usage_events WHERE district_id = ${sqlString(this.districtId)}
         AND event_id IN ${sqlList([...byId.keys()], sqlString)}`,
    );
    for (const r of rows) {
      const p = byId.get(r.event_id);
      if (p && p.visibleAt === undefined) p.visibleAt = startedAt;
    }
  }

  /** Waits until every acknowledged probe is visible (or the timeout passes). */
  async waitAllVisible(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    // Let in-flight probe requests get their answers first.
    await new Promise((r) => setTimeout(r, 500));
    while (this.pending().length > 0) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
    return true;
  }
}

export interface LatencySummary {
  probes: number;
  visible: number;
  notVisible: number;
  failed: number;
  /** Milliseconds from the 202 to the first poll that saw the event. */
  fromAckMs: { p50: number; p90: number; p99: number; max: number } | null;
  /** Milliseconds from sending the request to the first poll that saw the event. */
  fromSendMs: { p50: number; p90: number; p99: number; max: number } | null;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  // Nearest rank.
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function stats(values: number[]): LatencySummary['fromAckMs'] {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1]! };
}

export function summarizeProbes(probes: Probe[]): LatencySummary {
  const acked = probes.filter((p) => p.ackAt !== undefined);
  const seen = acked.filter((p) => p.visibleAt !== undefined);
  return {
    probes: probes.length,
    visible: seen.length,
    notVisible: acked.length - seen.length,
    failed: probes.length - acked.length,
    fromAckMs: stats(seen.map((p) => p.visibleAt! - p.ackAt!)),
    fromSendMs: stats(seen.map((p) => p.visibleAt! - p.sentAt)),
  };
}
