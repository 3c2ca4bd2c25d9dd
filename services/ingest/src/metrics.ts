import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one ingest server (own registry, so several servers can live in one test process). */
export interface IngestMetrics {
  registry: Registry;
  eventsAccepted: Counter<'route' | 'source'>;
  eventsRejected: Counter<'route' | 'code'>;
  requestsRefused: Counter<'route' | 'code'>;
  authFailures: Counter<'route' | 'reason'>;
  requestDuration: Histogram<'route' | 'method' | 'status'>;
  produceDuration: Histogram<'topic'>;
  produceFailures: Counter<'topic'>;
  requestsInFlight: Gauge;
  keyLimitUnchecked: Counter;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): IngestMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'edusage_ingest_' });
  const registers = [registry];
  return {
    registry,
    eventsAccepted: new Counter({
      name: 'edusage_ingest_events_accepted_total',
      help: 'Events acknowledged by Kafka on usage.raw, by route and source',
      labelNames: ['route', 'source'],
      registers,
    }),
    eventsRejected: new Counter({
      name: 'edusage_ingest_events_rejected_total',
      help: 'Items refused and sent to usage.dlq, by route and reason code',
      labelNames: ['route', 'code'],
      registers,
    }),
    requestsRefused: new Counter({
      name: 'edusage_ingest_requests_refused_total',
      help: 'Whole requests refused before any event was read (payload_too_large, too_many_items, kafka_unavailable, ...)',
      labelNames: ['route', 'code'],
      registers,
    }),
    authFailures: new Counter({
      name: 'edusage_ingest_auth_failures_total',
      help: 'Requests without a valid API key (reason: missing, unknown)',
      labelNames: ['route', 'reason'],
      registers,
    }),
    requestDuration: new Histogram({
      name: 'edusage_ingest_http_request_duration_seconds',
      help: 'HTTP request duration, from receipt to response',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    produceDuration: new Histogram({
      name: 'edusage_ingest_kafka_produce_duration_seconds',
      help: 'Time until Kafka acknowledged a produced batch (acks=all), by topic',
      labelNames: ['topic'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers,
    }),
    produceFailures: new Counter({
      name: 'edusage_ingest_kafka_produce_failures_total',
      help: 'Batches Kafka did not acknowledge (error or timeout), by topic',
      labelNames: ['topic'],
      registers,
    }),
    requestsInFlight: new Gauge({
      name: 'edusage_ingest_requests_in_flight',
      help: 'The /v1 requests being handled now (bounded by INGEST_MAX_CONCURRENT_REQUESTS)',
      registers,
    }),
    keyLimitUnchecked: new Counter({
      name: 'edusage_ingest_key_limit_unchecked_total',
      help: 'Requests let through without counting their API key events per minute, because Redis did not answer',
      registers,
    }),
  };
}
