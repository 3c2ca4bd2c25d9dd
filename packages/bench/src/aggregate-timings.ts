/**
 * The aggregate's own timings (its /metrics histograms: `sink-timings.ts` of the aggregate), read at
 * a phase's start and end: how long its statements took and how old events were when they became
 * queryable, the phase's share only (the difference of the two reads).
 */
import { SINK_TIMING_METRICS } from '@edusage/aggregate';
import type { BenchContext } from './context';
import { fmt2, fmtInt, say } from './report';

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

/** The aggregate's timings between two reads of its /metrics; null when either read failed. */
export function timingsBetween(
  before: MetricsRead | null,
  after: MetricsRead | null,
  enrichedTopic: string,
): AggregateTimings | null {
  // Without the first read the difference would hold everything before the phase too.
  if (before === null || after === null) return null;
  const between = (key: string): HistogramRead => {
    const a = after.get(key);
    return a === undefined ? { buckets: new Map(), sum: 0, count: 0 } : histogramBetween(before.get(key), a);
  };
  const store = between(SINK_TIMING_METRICS.store);
  const fold = between(SINK_TIMING_METRICS.fold);
  const age = between(`${SINK_TIMING_METRICS.eventAge}{topic="${enrichedTopic}"}`);
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
  if (t === null) return "the aggregate's /metrics did not answer at the phase's start or end: no timings of its own";
  const who = replicas > 1 ? 'aggregate (first process)' : 'aggregate';
  return (
    `${who}: ${t.stores} batches stored in ${fmtInt(t.storeMeanMs)} ms on average (claims, INSERTs), ` +
    `${t.folds} folds of ${fmtInt(t.foldMeanMs)} ms; events queryable ${fmt2(t.ageMeanSeconds)} s on average after enrich made ` +
    `their records (p50 ${fmtBound(t.ageP50Seconds)}, p90 ${fmtBound(t.ageP90Seconds)}, p99 ${fmtBound(t.ageP99Seconds)})`
  );
}

/** A bucket bound as "≤ 3 s"; past the last bound "> 300 s"; none "n/a". */
export function fmtBound(seconds: number, lastBound = 300): string {
  if (Number.isNaN(seconds)) return 'n/a';
  return Number.isFinite(seconds) ? `≤ ${seconds} s` : `> ${lastBound} s`;
}

/**
 * Reads the aggregate's /metrics at a phase's start; the function it gives reads them again at the
 * phase's end (after its settling), says the aggregate's side on the phase's line and returns it.
 */
export async function startAggregateTimings(
  ctx: BenchContext,
): Promise<(step: string) => Promise<AggregateTimings | null>> {
  const before = await readAggregateMetrics(ctx.aggregateMetricsUrl);
  return async (step) => {
    const timings = timingsBetween(before, await readAggregateMetrics(ctx.aggregateMetricsUrl), ctx.topics.enriched);
    say(`${step} ${describeAggregateTimings(timings, ctx.opts.replicas)}`);
    return timings;
  };
}
