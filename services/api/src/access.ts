import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { ApiConfig } from './config';
import type { ApiMetrics } from './metrics';
import { bearerToken, type Principal, type Role, type TokenStore } from './tokens';

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

export type AccessConfig = Pick<
  ApiConfig,
  'API_RATE_LIMIT' | 'API_AUTH_FAILURE_LIMIT' | 'API_RATE_WINDOW_MS' | 'REDIS_KEY_PREFIX'
>;

/**
 * Who may do what, in request order: token lookup (onRequest; Redis unreachable = 503, never 401) →
 * rate limit by token, or by IP without a valid token so guessing is throttled (@fastify/rate-limit,
 * counters in Redis) → 401 / 403 by the route's roles before the body is read (preParsing). Register
 * before the routes.
 */
export async function registerAccess(
  app: FastifyInstance,
  opts: { config: AccessConfig; tokens: TokenStore; redis: Redis; metrics: ApiMetrics },
): Promise<void> {
  const { config, tokens, metrics } = opts;
  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    try {
      request.principal = token === null ? null : await tokens.resolve(token);
    } catch (err) {
      request.log.warn({ err: String(err) }, 'token lookup failed');
      reply.header('retry-after', '5');
      return reply.code(503).send({ error: 'unavailable', message: 'cannot check the token now; retry later' });
    }
  });

  await app.register(rateLimit, {
    global: true,
    redis: opts.redis,
    nameSpace: `${config.REDIS_KEY_PREFIX}api:ratelimit:`,
    timeWindow: config.API_RATE_WINDOW_MS,
    keyGenerator: (request) => (request.principal ? `token:${request.principal.token_id}` : `ip:${request.ip}`),
    max: async (request) => (request.principal ? config.API_RATE_LIMIT : config.API_AUTH_FAILURE_LIMIT),
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
}
