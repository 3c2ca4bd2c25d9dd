import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from '@edusage/logging';
import { registerAccess, type AccessConfig } from './access';
import type { AuditLog } from './audit';
import { DASHBOARD_PAGE_LIMIT_DEFAULT } from './config';
import { registerDashboard } from './dashboard';
import { docsPage } from './docs-page';
import type { ApiDeps, Endpoint } from './endpoint';
import { ENDPOINTS } from './endpoints';
import { API_QUERY_TIMEOUT_DEFAULT_SECONDS } from './config';
import { isQueryTimeout, isUnavailable } from './errors';
import { handle } from './handler';
import type { ApiMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { logRequests } from './request-log';

export interface ServerDeps {
  /** API_TRUST_PROXY: the reverse proxies in front, their number or addresses (0 or absent: none). */
  config: AccessConfig & {
    API_TRUST_PROXY?: number | readonly string[];
    API_DASHBOARD_PAGE_LIMIT?: number;
    /** What ClickHouse stops a query after (named in the 504). */
    API_QUERY_TIMEOUT_SECONDS?: number;
  };
  logger: Logger;
  deps: ApiDeps;
  /** Rate-limit counters live here, so limits hold across restarts and replicas. */
  redis: Redis;
  audit: AuditLog;
  metrics: ApiMetrics;
  ready(): Promise<{ ok: boolean; checks: Record<string, boolean> }>;
  endpoints?: readonly Endpoint[];
}

/**
 * Fastify's trustProxy for `hops` reverse proxies in front: the socket's peer and the X-Forwarded-For
 * entries the other proxies appended are trusted, so the client is the entry the outermost appended.
 * Never `true` (the leftmost entry, which the client writes) nor a number (Fastify 5 then trusts no
 * hop at all).
 */
export function trustHops(hops: number): false | ((address: string, hop: number) => boolean) {
  return hops > 0 ? (_address, hop) => hop < hops : false;
}

/**
 * Fastify's trustProxy for API_TRUST_PROXY: a hop count as `trustHops`, or the proxies' addresses and
 * CIDR ranges as such (@fastify/proxy-addr), so X-Forwarded-* is honoured only from a listed peer and
 * the client is the rightmost X-Forwarded-For entry that is not a listed address.
 */
export function trustProxy(
  setting: number | readonly string[],
): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return trustHops(setting);
  return setting.length > 0 ? [...setting] : false;
}

/**
 * What to tell the operator at start about an API_TRUST_PROXY setting, or null: a hop count trusts
 * X-Forwarded-For from whatever peer connects, which is safe only when no client can reach the API
 * without the proxies; the address list is not.
 */
export function trustProxyWarning(setting: number | readonly string[]): string | null {
  return typeof setting === 'number' && setting > 0
    ? `API_TRUST_PROXY=${setting} trusts X-Forwarded-For from any peer: a client that reaches the API directly can name its own address to the failed-token throttle and the audit log. List the proxies' addresses instead (services/api/README.md "Audit log and rate limits")`
    : null;
}

/**
 * The API's Fastify app (not listening: call `listen`, or `inject` in tests): access checks
 * (access.ts), the endpoints (handler.ts), the audit log (request-log.ts), OpenAPI and docs, probes.
 */
export async function buildServer(s: ServerDeps): Promise<FastifyInstance> {
  const endpoints = s.endpoints ?? ENDPOINTS;
  const app = Fastify({
    loggerInstance: s.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
    trustProxy: trustProxy(s.config.API_TRUST_PROXY ?? 0),
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });
  // First: its onRequest hook must see every request, also one the access checks stop or keep waiting.
  logRequests(app, s.audit, s.metrics);
  await registerAccess(app, { config: s.config, tokens: s.deps.tokens, redis: s.redis, metrics: s.metrics });

  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error.statusCode === 429) return reply.code(429).send(error);
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own refusals: bad JSON body, body too large, unsupported media type.
      return reply.code(error.statusCode).send({ error: error.code ?? 'bad_request', message: error.message });
    }
    if (isQueryTimeout(error)) {
      request.log.warn({ err: error.message }, 'a query ran too long and was stopped');
      return reply.code(504).send({
        error: 'query_timeout',
        message: `the query ran longer than ${s.config.API_QUERY_TIMEOUT_SECONDS ?? API_QUERY_TIMEOUT_DEFAULT_SECONDS} s and was stopped: ask for a shorter period or fewer rows`,
      });
    }
    if (isUnavailable(error)) {
      request.log.warn({ err: error.message }, 'a backing service is unavailable');
      reply.header('retry-after', '5');
      return reply.code(503).send({ error: 'unavailable', message: 'a backing service is unavailable; retry later' });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'the request failed; see the server log' });
  });
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ error: 'not_found' }));

  for (const e of endpoints) {
    app.route({
      method: e.method,
      url: e.path,
      config: { roles: e.roles },
      handler: (request, reply) => handle(e, request, reply, s.deps),
    });
  }

  await registerDashboard(app, {
    deps: s.deps,
    redis: s.redis,
    keyPrefix: s.config.REDIS_KEY_PREFIX,
    pageLimit: s.config.API_DASHBOARD_PAGE_LIMIT ?? DASHBOARD_PAGE_LIMIT_DEFAULT,
    windowMs: s.config.API_RATE_WINDOW_MS,
    metrics: s.metrics,
  });

  const doc = openApiDocument(endpoints);
  const html = docsPage(doc);
  app.get('/openapi.json', async () => doc);
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
  app.get('/healthz', { config: { rateLimit: false } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { rateLimit: false } }, async (_request, reply) => {
    const r = await s.ready();
    return reply.code(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'not_ready', checks: r.checks });
  });
  app.get('/metrics', { config: { rateLimit: false } }, async (_request, reply) =>
    reply.type(s.metrics.registry.contentType).send(await s.metrics.registry.metrics()),
  );
  return app;
}
