import type { FastifyReply, FastifyRequest } from 'fastify';
import { presentedCredentials, type KeyResolver, type ResolvedKey } from './apikeys';
import type { KeyEventLimit } from './key-event-limit';
import type { IngestMetrics } from './metrics';
import { RETRY_AFTER_SECONDS } from './request-refused';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated sender (set by the API key check on every /v1 route). */
    sender?: ResolvedKey;
  }
}

const BASIC_CHALLENGE = 'Basic realm="edusage", charset="UTF-8"';

/**
 * The API key check of every /v1 route (an onRequest hook): Bearer, x-api-key or HTTP Basic; sets
 * `request.sender`. 401 for a missing or unknown key (counted in edusage_ingest_auth_failures_total),
 * 503 when Redis cannot answer; 429 for a key this server refused in the current minute (its events per
 * minute, `limit`). Runs before the body is read, so unauthenticated bodies are never parsed.
 */
export function apiKeyCheck(keys: KeyResolver, metrics: IngestMetrics, limit?: KeyEventLimit) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const credentials = presentedCredentials(request.headers);
    if (credentials === null) {
      metrics.authFailures.inc({ route, reason: 'missing' });
      return reply.code(401).header('www-authenticate', [BASIC_CHALLENGE, 'Bearer']).send({
        error: 'missing_api_key',
        message:
          'send the source API key as "Authorization: Bearer <key>", "x-api-key: <key>", or HTTP Basic auth with the key as username or as password',
      });
    }
    let record: ResolvedKey | null = null;
    try {
      for (const candidate of credentials.candidates) {
        record = await keys.resolve(candidate);
        if (record !== null) break;
      }
    } catch (err) {
      request.log.warn({ err }, 'api key lookup failed');
      metrics.requestsRefused.inc({ route, code: 'auth_unavailable' });
      return reply.code(503).header('retry-after', RETRY_AFTER_SECONDS).send({
        error: 'auth_unavailable',
        message: 'cannot check API keys right now (Redis unreachable); retry later',
      });
    }
    if (record === null) {
      metrics.authFailures.inc({ route, reason: 'unknown' });
      return reply
        .code(401)
        .header('www-authenticate', credentials.scheme === 'basic' ? BASIC_CHALLENGE : 'Bearer error="invalid_token"')
        .send({ error: 'unknown_api_key', message: 'the API key is not known or was revoked' });
    }
    request.sender = record;
    limit?.refuseIfSpent(request);
  };
}
