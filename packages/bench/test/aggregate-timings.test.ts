/**
 * The aggregate's /metrics histograms read twice, the phase's share taken as their difference, and
 * quantiles as the bound of the bucket that holds them (a histogram knows no finer).
 */
import { fmtBound, parseHistograms, quantileBound, timingsBetween } from '../src/aggregate-timings';

const TOPIC = 'bench.usage.enriched';

/** An exposition as prom-client writes one (buckets cumulative, `+Inf` last). */
function exposition(age: number[], store: [number, number], fold: [number, number]): string {
  const bounds = ['0.5', '1', '2', '+Inf'];
  const ageLines = bounds.map(
    (le, i) => `edusage_aggregate_event_age_at_store_seconds_bucket{le="${le}",topic="${TOPIC}"} ${age[i]}`,
  );
  return [
    '# HELP edusage_aggregate_event_age_at_store_seconds Seconds …',
    '# TYPE edusage_aggregate_event_age_at_store_seconds histogram',
    ...ageLines,
    `edusage_aggregate_event_age_at_store_seconds_sum{topic="${TOPIC}"} ${age[4]}`,
    `edusage_aggregate_event_age_at_store_seconds_count{topic="${TOPIC}"} ${age[3]}`,
    // Another topic's events are not the phase's.
    'edusage_aggregate_event_age_at_store_seconds_count{topic="bench.usage.dlq"} 999',
    'edusage_aggregate_store_seconds_bucket{le="+Inf"} ' + store[0],
    `edusage_aggregate_store_seconds_sum ${store[1]}`,
    `edusage_aggregate_store_seconds_count ${store[0]}`,
    `edusage_aggregate_fold_seconds_sum ${fold[1]}`,
    `edusage_aggregate_fold_seconds_count ${fold[0]}`,
    'edusage_aggregate_rows_inserted_total 123',
  ].join('\n');
}

test('the phase gets what was observed between the two reads', () => {
  // Before: 10 events (6 ≤ 0.5 s, 9 ≤ 1 s, 10 ≤ 2 s), 3 s in all; 2 stores of 0.1 s, 1 fold of 0.2 s.
  const before = parseHistograms(exposition([6, 9, 10, 10, 3], [2, 0.2], [1, 0.2]));
  // After: 110 events; the 100 new ones: 10 ≤ 0.5 s, 80 more ≤ 1 s, 5 more ≤ 2 s, 5 over 2 s; 80 s.
  const after = parseHistograms(exposition([16, 99, 105, 110, 83], [12, 2.2], [5, 1.0]));
  const t = timingsBetween(before, after, TOPIC)!;
  expect(t.events).toBe(100);
  expect(t.ageMeanSeconds).toBeCloseTo(0.8);
  expect(t.ageP50Seconds).toBe(1);
  expect(t.ageP90Seconds).toBe(1);
  expect(t.ageP99Seconds).toBe(Infinity);
  expect(t.stores).toBe(10);
  expect(t.storeMeanMs).toBeCloseTo(200);
  expect(t.folds).toBe(4);
  expect(t.foldMeanMs).toBeCloseTo(200);
});

test('a read missing at either end gives null (the phase would get what came before it too)', () => {
  const read = parseHistograms(exposition([1, 2, 2, 2, 1.2], [1, 0.05], [1, 0.1]));
  expect(timingsBetween(null, read, TOPIC)).toBeNull();
  expect(timingsBetween(read, null, TOPIC)).toBeNull();
});

test('bounds are printed as bounds; past the last one and none are said so', () => {
  expect(fmtBound(1.5)).toBe('≤ 1.5 s');
  expect(fmtBound(Infinity)).toBe('> 300 s');
  expect(fmtBound(NaN)).toBe('n/a');
});

test('a quantile is the bound of the first bucket holding it', () => {
  const h = {
    buckets: new Map([
      [0.5, 50],
      [1, 90],
      [Infinity, 100],
    ]),
    sum: 0,
    count: 100,
  };
  expect(quantileBound(h, 0.5)).toBe(0.5);
  expect(quantileBound(h, 0.51)).toBe(1);
  expect(quantileBound(h, 0.9)).toBe(1);
  expect(quantileBound(h, 0.91)).toBe(Infinity);
  expect(quantileBound({ buckets: new Map(), sum: 0, count: 0 }, 0.5)).toBeNaN();
});
