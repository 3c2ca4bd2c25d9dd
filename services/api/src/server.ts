import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { Logger } from '@edusage/logging';
import { clickhouseTime, type AuditLog } from './audit';
import type { ApiConfig } from './config';
import { csvStream } from './csv';
import { registerDashboard } from './dashboard';
import { docsPage } from './docs-page';
import { Forbidden, NotFound, type ApiDeps, type Endpoint } from './endpoint';
import { ENDPOINTS } from './endpoints';
import type { ApiMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { bearerToken, type Principal, type Role } from './tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, when a valid token was presented (set before anything else runs). */
    principal?: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles that may call the route; absent = a public route (probes, documentation). */
    roles?: readonly Role[];
  }
}

export interface ServerDeps {
  config: Pick<ApiConfig, 'API_RATE_LIMIT' | 'API_AUTH_FAILURE_LIMIT' | 'API_RATE_WINDOW_MS' | 'REDIS_KEY_PREFIX'>;
  logger: Logger;
  deps: ApiDeps;
  /** Rate-limit counters live here, so limits hold across restarts and replicas. */
  redis: Redis;
  audit: AuditLog;
  metrics: ApiMetrics;
  ready(): Promise<{ ok: boolean; checks: Record<string, boolean> }>;
  endpoints?: readonly Endpoint[];
}

/** Longest parameter text kept in the audit log. */
const AUDIT_PARAMS_MAX = 2_000;

function issuesOf(error: z.ZodError, where: string) {
  return error.issues.map((i) => ({
    field: [where, ...i.path.map(String)].join('.'),
    message: i.code === 'unrecognized_keys' ? `unknown parameter(s): ${i.keys.join(', ')}` : i.message,
  }));
}

function wantsCsv(request: FastifyRequest, format: unknown): boolean {
  if (format === 'csv') return true;
  if (format === 'json') return false;
  const accept = request.headers.accept ?? '';
  return /(^|,)\s*text\/csv\b/i.test(accept) && !/(^|,)\s*application\/json\b/i.test(accept);
}

/**
 * The API's Fastify app (not listening: call `listen`, or `inject` in tests). Order per request:
 * token lookup (onRequest) → rate limit by token, or by IP without a valid token (so guessing is
 * throttled) → 401 / 403 by role before the body is read → parameter validation (400, unknown
 * parameters included) → the endpoint. Every answer is audit-logged after it was sent.
 */
export async function buildServer(s: ServerDeps): Promise<FastifyInstance> {
  const endpoints = s.endpoints ?? ENDPOINTS;
  const { metrics } = s;
  const app = Fastify({
    loggerInstance: s.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    try {
      request.principal = token === null ? null : await s.deps.tokens.resolve(token);
    } catch (err) {
      request.log.warn({ err: String(err) }, 'token lookup failed');
      reply.header('retry-after', '5');
      return reply.code(503).send({ error: 'unavailable', message: 'cannot check the token now; retry later' });
    }
  });

  await app.register(rateLimit, {
    global: true,
    redis: s.redis,
    nameSpace: `${s.config.REDIS_KEY_PREFIX}api:ratelimit:`,
    timeWindow: s.config.API_RATE_WINDOW_MS,
    keyGenerator: (request) => (request.principal ? `token:${request.principal.token_id}` : `ip:${request.ip}`),
    max: async (request) => (request.principal ? s.config.API_RATE_LIMIT : s.config.API_AUTH_FAILURE_LIMIT),
    onExceeded: (request) => metrics.rateLimited.inc({ kind: request.principal ? 'token' : 'anonymous' }),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `too many requests; retry in ${context.after}`,
    }),
  });

  // 401 and 403 before the body is parsed: an unauthenticated or unauthorized caller gets nothing read.
  app.addHook('preParsing', async (request, reply) => {
    const roles = request.routeOptions.config.roles;
    if (roles === undefined) return;
    const principal = request.principal;
    if (!principal) {
      metrics.authFailures.inc({ reason: request.headers.authorization ? 'unknown' : 'missing' });
      reply.header('www-authenticate', 'Bearer realm="edusage"');
      return reply
        .code(401)
        .send({ error: 'unauthorized', message: 'a valid token is required (Authorization: Bearer <token>)' });
    }
    if (!roles.includes(principal.role)) {
      metrics.denied.inc({ route: request.routeOptions.url ?? '', role: principal.role });
      return reply.code(403).send({ error: 'forbidden', message: `role ${principal.role} may not call this endpoint` });
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? `unmatched:${request.url.split('?')[0]!.slice(0, 200)}`;
    metrics.requestDuration.observe(
      { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (request.routeOptions.config.roles === undefined && request.routeOptions.url !== undefined) return; // probes, docs
    const now = new Date();
    s.audit.record({
      at: clickhouseTime(now),
      at_ms: now.getTime(),
      request_id: String(request.id),
      token_id: request.principal?.token_id ?? '',
      role: request.principal?.role ?? '',
      district_id: request.principal?.district_id ?? '',
      method: request.method,
      route,
      params: JSON.stringify({ query: request.query, params: request.params, body: request.body }).slice(
        0,
        AUDIT_PARAMS_MAX,
      ),
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime),
      ip: request.ip,
    });
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error.statusCode === 429) return reply.code(429).send(error);
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own refusals: bad JSON body, body too large, unsupported media type.
      return reply.code(error.statusCode).send({ error: error.code ?? 'bad_request', message: error.message });
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

  await registerDashboard(app, { deps: s.deps, redis: s.redis, keyPrefix: s.config.REDIS_KEY_PREFIX });

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
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  return app;
}

async function handle(e: Endpoint, request: FastifyRequest, reply: FastifyReply, deps: ApiDeps) {
  const principal = request.principal!;
  const query = e.query.safeParse(request.query ?? {});
  const params = e.params ? e.params.safeParse(request.params ?? {}) : null;
  const body = e.body ? e.body.safeParse(request.body ?? {}) : null;
  const issues = [
    ...(query.success ? [] : issuesOf(query.error, 'query')),
    ...(params && !params.success ? issuesOf(params.error, 'path') : []),
    ...(body && !body.success ? issuesOf(body.error, 'body') : []),
  ];
  if (!e.body && request.body !== undefined && request.body !== null && request.body !== '')
    issues.push({ field: 'body', message: 'this endpoint takes no body' });
  if (issues.length > 0) return reply.code(400).send({ error: 'invalid_request', issues });
  try {
    const result = await e.handle({
      principal,
      query: query.data,
      params: params?.data,
      body: body?.data,
      deps,
    });
    if (result.kind === 'object') return reply.code(result.status ?? 200).send(result.body);
    const format = (query.data as { format?: unknown }).format;
    if (e.list && wantsCsv(request, format)) {
      const rows = (result.csv ?? result.rows) as Record<string, unknown>[];
      const columns = result.csv
        ? Object.keys(result.csv[0] ?? {})
        : Object.keys((e.response as unknown as z.ZodObject).shape);
      return reply.type('text/csv; charset=utf-8').send(csvStream(rows, columns));
    }
    return reply.send({ ...result.meta, rows: result.rows });
  } catch (err) {
    if (err instanceof Forbidden) return reply.code(403).send({ error: 'forbidden', message: err.message });
    if (err instanceof NotFound) return reply.code(404).send({ error: 'not_found', message: err.message });
    throw err;
  }
}
