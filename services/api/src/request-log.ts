import type { FastifyInstance } from 'fastify';
import { clickhouseTime, type AuditLog } from './audit';
import type { ApiMetrics } from './metrics';

/** Longest parameter text kept in the audit log. */
const AUDIT_PARAMS_MAX = 2_000;

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
      at: clickhouseTime(now),
      at_ms: now.getTime(),
      request_id: String(request.id),
      token_id: request.principal?.token_id ?? '',
      role: request.principal?.role ?? '',
      district_id: request.principal?.district_id ?? '',
      method: request.method,
      route: matched ?? `unmatched:${request.url.split('?')[0]!.slice(0, 200)}`,
      params: JSON.stringify({
        query: request.query,
        params: request.params,
        body: withoutSecrets(request.body),
      }).slice(0, AUDIT_PARAMS_MAX),
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime),
      ip: request.ip,
    });
  });
}

/** Form fields that carry a secret (the dashboard's sign-in token, its CSRF token): never audited. */
const SECRET_FIELD = /token|csrf|secret|password/i;

function withoutSecrets(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(
    Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, SECRET_FIELD.test(k) ? '[redacted]' : v]),
  );
}
