import { readTopicToEnd, type Kafka, type TopicRecord } from '@edusage/kafka';
import { percentile, type Probe } from './probes';

/** Where a probe's time went, ms: the three parts of "produced → queryable", each p50 / p90 / p99. */
export interface HopStats {
  p50: number;
  p90: number;
  p99: number;
  /** The part's mean over the slowest tenth of the probes (by 202 → queryable): where the tail is. */
  slowestTenthMean: number;
}

export interface HopSummary {
  /** Probes seen in ClickHouse whose records were found on both topics. */
  probes: number;
  /** ingest: its producer made the usage.raw record → it answered 202 (Kafka's acknowledgement). */
  ingestAck: HopStats;
  /** enrich: the 202 → its producer made the usage.enriched record (fetch, enrichment, produce). */
  ackToEnriched: HopStats;
  /** aggregate: the usage.enriched record → the first ClickHouse poll that saw the row (poll every 250 ms). */
  enrichedToQueryable: HopStats;
}

/**
 * Finds each probe's records on usage.raw and usage.enriched and notes their timestamps (the
 * producers' clocks, this machine's one clock): the raw record by the event_id the probe was sent
 * with, the enriched one by the id enrich stores. Only records keyed by the probes' district are
 * parsed. Read after the services stopped, so reading does not load the phases. Returns the probes found.
 */
export async function readProbeHops(
  kafka: Kafka,
  topics: { raw: string; enriched: string },
  probes: Probe[],
  probeDistrict: string,
): Promise<number> {
  const bySentId = new Map(probes.map((p) => [p.id, p]));
  const byStoredId = new Map(probes.map((p) => [p.storedId, p]));
  const probeKey = `${probeDistrict}|`;
  const ofProbes = (records: TopicRecord[]) => records.filter((r) => r.key?.startsWith(probeKey) && r.value !== null);
  await readTopicToEnd(kafka, topics.raw, async (records) => {
    for (const r of ofProbes(records)) {
      const sent = (JSON.parse(r.value!) as { event?: { event_id?: unknown } }).event?.event_id;
      const probe = typeof sent === 'string' ? bySentId.get(sent) : undefined;
      // The first record: a producer's retry may have written the event twice.
      if (probe) probe.producedAt ??= r.timestamp;
    }
  });
  await readTopicToEnd(kafka, topics.enriched, async (records) => {
    for (const r of ofProbes(records)) {
      const stored = (JSON.parse(r.value!) as { event_id?: unknown }).event_id;
      const probe = typeof stored === 'string' ? byStoredId.get(stored) : undefined;
      if (probe) probe.enrichedAt ??= r.timestamp;
    }
  });
  return probes.filter((p) => p.producedAt !== undefined && p.enrichedAt !== undefined).length;
}

/** The three parts of the probes' latency, for the probes seen whose records were found; null when none. */
export function summarizeHops(probes: Probe[]): HopSummary | null {
  const whole = probes.filter(
    (p): p is Required<Probe> =>
      p.ackAt !== undefined && p.visibleAt !== undefined && p.producedAt !== undefined && p.enrichedAt !== undefined,
  );
  if (whole.length === 0) return null;
  const byTotal = [...whole].sort((a, b) => a.visibleAt - a.ackAt - (b.visibleAt - b.ackAt));
  const slowestTenth = byTotal.slice(Math.floor(byTotal.length * 0.9));
  const part = (ms: (p: Required<Probe>) => number): HopStats => {
    const sorted = whole.map(ms).sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      slowestTenthMean: slowestTenth.reduce((sum, p) => sum + ms(p), 0) / slowestTenth.length,
    };
  };
  return {
    probes: whole.length,
    ingestAck: part((p) => p.ackAt - p.producedAt),
    ackToEnriched: part((p) => p.enrichedAt - p.ackAt),
    enrichedToQueryable: part((p) => p.visibleAt - p.enrichedAt),
  };
}
