import { Histogram, type Registry } from 'prom-client';
import type { SinkMessage } from './batch-gathering';

/**
 * What the sink reports of its own timing: how old events are when they become queryable, and how
 * long its statements take. Optional in the worker (tests leave it out); the service gives it the
 * Prometheus histograms below.
 */
export interface SinkTimings {
  /** `messages` of `topic` were stored (queryable) at `now` (ms); storing took `seconds` (claims, INSERTs). */
  stored(topic: string, messages: readonly SinkMessage[], seconds: number, now: number): void;
  /** A fold (the rollups' derivation for a partition) took `seconds`. */
  folded(seconds: number): void;
}

/** The histograms' names (the benchmark reads them from /metrics too). */
export const SINK_TIMING_METRICS = {
  eventAge: 'edusage_aggregate_event_age_at_store_seconds',
  store: 'edusage_aggregate_store_seconds',
  fold: 'edusage_aggregate_fold_seconds',
} as const;

const STATEMENT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const AGE_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300];

/** The sink's timings as histograms of `registry` (the service's /metrics). */
export function sinkTimingMetrics(registry: Registry): SinkTimings {
  const age = new Histogram({
    name: SINK_TIMING_METRICS.eventAge,
    help:
      "Seconds from a record being made (its producer's timestamp: enrich's for usage.enriched) to its row being " +
      'stored in ClickHouse, queryable: the aggregate part of ingest-to-queryable, per event (by topic)',
    labelNames: ['topic'],
    buckets: AGE_BUCKETS,
    registers: [registry],
  });
  const store = new Histogram({
    name: SINK_TIMING_METRICS.store,
    help: "Seconds a partition batch's storing took: the duplicate claims and the INSERTs, retries included",
    buckets: STATEMENT_BUCKETS,
    registers: [registry],
  });
  const fold = new Histogram({
    name: SINK_TIMING_METRICS.fold,
    help: "Seconds a partition's rollup fold took (the derivation's statements), retries included",
    buckets: STATEMENT_BUCKETS,
    registers: [registry],
  });
  return {
    stored(topic, messages, seconds, now) {
      store.observe(seconds);
      const ofTopic = age.labels(topic);
      for (const m of messages) {
        const made = Number(m.timestamp);
        if (Number.isFinite(made)) ofTopic.observe(Math.max(0, now - made) / 1000);
      }
    },
    folded(seconds) {
      fold.observe(seconds);
    },
  };
}
