import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
 * An audit entry for every request whatever its status (unknown paths and the documentation included),
 * except the probes, exactly once: after its response, or when its client leaves before the response
 * finished (a CSV stream abandoned midway, a request dropped while its query runs), which Fastify's
 * onResponse never reports. After each finished response, its duration in the metrics. Register before
 * any other hook, so that a request a later hook stops or leaves waiting is seen too.
 */
export function logRequests(app: FastifyInstance, audit: AuditLog, metrics: ApiMetrics): void {
  const audited = new WeakSet<FastifyRequest>();
  const record = (request: FastifyRequest, reply: FastifyReply, aborted: boolean): void => {
    if (audited.has(request)) return;
    audited.add(request);
    const matched = request.routeOptions.url;
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
      // Left before any answer: no status was sent (the handler may still set one, to no one).
      status: aborted && !reply.raw.headersSent ? 0 : reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime),
      ip: request.ip,
      aborted: aborted ? 1 : 0,
    });
  };
  app.addHook('onRequest', (request, reply, done) => {
    // A finished response emits 'finish' (onResponse audits it), then 'close'; one whose client left, 'close' alone.
    let finished = false;
    reply.raw.once('finish', () => (finished = true));
    reply.raw.once('close', () => {
      if (!finished) record(request, reply, true);
    });
    done();
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.requestDuration.observe(
      { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    record(request, reply, false);
  });
}
