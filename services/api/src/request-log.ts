import type { FastifyInstance } from 'fastify';
import { clickhouseTime, type AuditLog } from './audit';
import type { ApiMetrics } from './metrics';

/** Longest parameter text kept in the audit log. */
const AUDIT_PARAMS_MAX = 2_000;

/**
 * After each response: its duration in the metrics, and (for every `/v1` request and unknown path,
 * whatever the status) an audit entry. The probes and the documentation are not audited.
 */
export function logRequests(app: FastifyInstance, audit: AuditLog, metrics: ApiMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const matched = request.routeOptions.url;
    metrics.requestDuration.observe(
      { route: matched ?? 'unmatched', method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (request.routeOptions.config.roles === undefined && matched !== undefined) return;
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
      params: JSON.stringify({ query: request.query, params: request.params, body: request.body }).slice(
        0,
        AUDIT_PARAMS_MAX,
      ),
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime),
      ip: request.ip,
    });
  });
}
