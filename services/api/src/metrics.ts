import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one API server (own registry, so several servers can live in one test process). */
export interface ApiMetrics {
  registry: Registry;
  requestDuration: Histogram<'route' | 'method' | 'status'>;
  authFailures: Counter<'reason'>;
  denied: Counter<'route' | 'role'>;
  rateLimited: Counter<'kind'>;
  auditWritten: Counter;
  auditFlushFailures: Counter;
  auditDropped: Counter<'reason'>;
  auditPending: Gauge;
}

export function createApiMetrics(opts: { defaultMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'edusage_api_' });
  const registers = [registry];
  return {
    registry,
    requestDuration: new Histogram({
      name: 'edusage_api_request_duration_seconds',
      help: 'API requests by route, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    }),
    authFailures: new Counter({
      name: 'edusage_api_auth_failures_total',
      help: 'Requests without a valid token, by reason (missing, unknown)',
      labelNames: ['reason'],
      registers,
    }),
    denied: new Counter({
      name: 'edusage_api_denied_total',
      help: 'Authenticated requests refused by role or scope (403), by route and role',
      labelNames: ['route', 'role'],
      registers,
    }),
    rateLimited: new Counter({
      name: 'edusage_api_rate_limited_total',
      help: 'Requests refused with 429, by kind (token, anonymous, dashboard_page)',
      labelNames: ['kind'],
      registers,
    }),
    auditWritten: new Counter({
      name: 'edusage_api_audit_written_total',
      help: 'Audit log entries stored in ClickHouse',
      registers,
    }),
    auditFlushFailures: new Counter({
      name: 'edusage_api_audit_flush_failures_total',
      help: 'Failed audit log writes (the entries are kept and retried)',
      registers,
    }),
    auditDropped: new Counter({
      name: 'edusage_api_audit_dropped_total',
      help: 'Audit log entries given up on, by reason (buffer_full, shutdown): each is also logged',
      labelNames: ['reason'],
      registers,
    }),
    auditPending: new Gauge({
      name: 'edusage_api_audit_pending',
      help: 'Audit log entries waiting to be written',
      registers,
    }),
  };
}
