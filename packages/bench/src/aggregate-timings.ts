/**
 * The aggregate's own timings (its /metrics histograms: `sink-timings.ts` of the aggregate), read at
 * a phase's start and end: how long its statements took and how old events were when they became
 * queryable, the phase's share only (the difference of the two reads).
 */

/** One histogram's read: cumulative counts by upper bound (`le`), its sum and count. */
export interface HistogramRead {
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

/** Histograms by name and labels other than `le` (`name{topic="…"}`). */
export type MetricsRead = Map<string, HistogramRead>;

const SAMPLE = /^([a-zA-Z_:][\w:]*?)_(bucket|sum|count)(?:\{([^}]*)\})? (\S+)$/;
const LABEL = /(\w+)="([^"]*)"/g;

/** The histograms of a Prometheus text exposition. */
export function parseHistograms(text: string): MetricsRead {
  const out: MetricsRead = new Map();
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const [, name, kind, labelText = '', valueText] = m;
    let le: number | undefined;
    const labels: string[] = [];
    for (const [, label, value] of labelText.matchAll(LABEL)) {
      if (label === 'le') le = value === '+Inf' ? Infinity : Number(value);
      else labels.push(`${label}="${value}"`);
    }
    const key = labels.length > 0 ? `${name}{${labels.join(',')}}` : name!;
    const h = out.get(key) ?? { buckets: new Map<number, number>(), sum: 0, count: 0 };
    const value = Number(valueText);
    if (kind === 'bucket' && le !== undefined) h.buckets.set(le, value);
    else if (kind === 'sum') h.sum = value;
    else if (kind === 'count') h.count = value;
    out.set(key, h);
  }
  return out;
}

/** What was observed between two reads of one histogram (a missing first read counts as empty). */
export function histogramBetween(before: HistogramRead | undefined, after: HistogramRead): HistogramRead {
  const buckets = new Map<number, number>();
  for (const [le, n] of after.buckets) buckets.set(le, n - (before?.buckets.get(le) ?? 0));
  return { buckets, sum: after.sum - (before?.sum ?? 0), count: after.count - (before?.count ?? 0) };
}

/** The upper bound of the bucket holding quantile `q` (a histogram knows no finer); NaN when empty. */
export function quantileBound(h: HistogramRead, q: number): number {
  if (h.count <= 0) return NaN;
  const bounds = [...h.buckets.keys()].sort((a, b) => a - b);
  for (const le of bounds) if (h.buckets.get(le)! >= q * h.count) return le;
  return Infinity;
}

/** The aggregate's side of a phase. */
export interface AggregateTimings {
  /** Partition batches stored, and their mean time (claims and INSERTs), ms. */
  stores: number;
  storeMeanMs: number;
  /** Rollup folds, and their mean time, ms. */
  folds: number;
  foldMeanMs: number;
  /** Events of usage.enriched stored, and their age when stored (record made → queryable), s. */
  events: number;
  ageMeanSeconds: number;
  /** Bucket bounds: "at most this many seconds". */
  ageP50Seconds: number;
  ageP90Seconds: number;
  ageP99Seconds: number;
}

/** The aggregate's timings between two reads of its /metrics; null when the second read failed. */
export function timingsBetween(
  before: MetricsRead | null,
  after: MetricsRead | null,
  enrichedTopic: string,
): AggregateTimings | null {
  if (after === null) return null;
  const between = (key: string): HistogramRead => {
    const a = after.get(key);
    return a === undefined ? { buckets: new Map(), sum: 0, count: 0 } : histogramBetween(before?.get(key), a);
  };
  const store = between('edusage_aggregate_store_seconds');
  const fold = between('edusage_aggregate_fold_seconds');
  const age = between(`edusage_aggregate_event_age_at_store_seconds{topic="${enrichedTopic}"}`);
  return {
    stores: store.count,
    storeMeanMs: (store.sum / store.count) * 1000,
    folds: fold.count,
    foldMeanMs: (fold.sum / fold.count) * 1000,
    events: age.count,
    ageMeanSeconds: age.sum / age.count,
    ageP50Seconds: quantileBound(age, 0.5),
    ageP90Seconds: quantileBound(age, 0.9),
    ageP99Seconds: quantileBound(age, 0.99),
  };
}

/** Reads the aggregate's /metrics; null (said once by the caller) when it does not answer. */
export async function readAggregateMetrics(url: string): Promise<MetricsRead | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? parseHistograms(await res.text()) : null;
  } catch {
    return null;
  }
}

/** The phase's line about the aggregate's side ("[4/9] aggregate: …"). */
export function describeAggregateTimings(t: AggregateTimings | null, replicas: number): string {
  if (t === null) return "the aggregate's /metrics did not answer: no timings of its own";
  const who = replicas > 1 ? 'aggregate (first process)' : 'aggregate';
  const s = (x: number) => (Number.isFinite(x) ? `${x} s` : 'n/a');
  return (
    `${who}: ${t.stores} batches stored in ${Math.round(t.storeMeanMs)} ms on average (claims, INSERTs), ` +
    `${t.folds} folds of ${Math.round(t.foldMeanMs)} ms; events queryable ${t.ageMeanSeconds.toFixed(2)} s on average after enrich made ` +
    `their records (p50 ≤ ${s(t.ageP50Seconds)}, p90 ≤ ${s(t.ageP90Seconds)}, p99 ≤ ${s(t.ageP99Seconds)})`
  );
}
