import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface EnrichMetrics {
  registry: Registry;
  events: Counter<'outcome'>;
  unresolved: Counter<'kind'>;
  chunkSeconds: Histogram;
  sendRetries: Counter;
  oversized: Counter;
}

/** The worker's metrics, in `registry` (the service's, served by @edusage/runtime) or a new one with the process defaults. */
export function createMetrics(registry?: Registry): EnrichMetrics {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return {
    registry,
    events: new Counter({
      name: 'enrich_events_total',
      help: "Raw messages handled, by outcome (enriched, dlq, erased: an erased person's event, dropped)",
      labelNames: ['outcome'],
      registers: [registry],
    }),
    unresolved: new Counter({
      name: 'enrich_unresolved_total',
      help: 'Enriched events with an unresolved person or app',
      labelNames: ['kind'],
      registers: [registry],
    }),
    chunkSeconds: new Histogram({
      name: 'enrich_chunk_seconds',
      help: 'Time to enrich and produce one chunk (incl. Kafka ack)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    sendRetries: new Counter({
      name: 'enrich_send_retries_total',
      help: 'Retried produce calls (Kafka unavailable or slow)',
      registers: [registry],
    }),
    oversized: new Counter({
      name: 'enrich_oversized_total',
      help: "Raw messages dead-lettered because their enriched output exceeds the broker's max.message.bytes",
      registers: [registry],
    }),
  };
}
