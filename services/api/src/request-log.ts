import type { FastifyInstance } from 'fastify';
import { utcDateTime } from '@edusage/clickhouse';
import type { AuditLog } from './audit';
import type { ApiMetrics } from './metrics';

/** Longest parameter text kept in the audit log. */
const AUDIT_PARAMS_MAX = 2_000;

/** Fields whose values are secrets (the dashboard's sign-in token, its CSRF token): never audited. */
const SECRET_FIELD = /token|csrf|password|secret/i;

/** The request's query or body with the values of secret-named fields replaced. */
function withoutSecrets(fields: unknown): unknown {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return fields;
  return Object.fromEntries(
    Object.entries(fields).map(([name, value]) => [name, SECRET_FIELD.test(name) ? '[redacted]' : value]),
  );
}

/** Asked every few seconds by orchestrators and scrapers: not audited. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * After each response: its duration in the metrics, and an audit entry for every request whatever its
 * status (unknown paths and the documentation included), except the probes.
 */
export function logRequests(app: FastifyInstance, audit: AuditLog, metrics: ApiMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const matched = request.routeOptions.url;
    metrics.requestDuration.observe(
      { route: matched ?? 'unmatched', method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (matched !== undefined && PROBES.has(matched)) return;
    const now = new Date();
    audit.record({
      at: utcDateTime(now),
      at_ms: now.getTime(),
      request_id: String(request.id),
      token_id: request.principal?.token_id ?? '',
      role: request.principal?.role ?? '',
      district_id: request.principal?.district_id ?? '',
      method: request.method,
      route: matched ?? `unmatched:${request.url.split('?')[0]!.slice(0, 200)}`,
      params: JSON.stringify({
        query: withoutSecrets(request.query),
        params: request.params,
        body: withoutSecrets(request.body),
      }).slice(0, AUDIT_PARAMS_MAX),
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime),
      ip: request.ip,
    });
  });
}
