import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { takeFromWindow, type WindowAnswer } from '@edusage/redis';
import type { IngestMetrics } from './metrics';
import { RequestRefused } from './request-refused';

/** The budget's window: events per minute. */
export const KEY_WINDOW_MS = 60_000;

/** Takes `amount` events from a key's budget of `limit` in the current window. Throws when it cannot tell. */
export type TakeEvents = (keyId: string, amount: number, limit: number) => Promise<WindowAnswer>;

/** The budgets in Redis (`<prefix>ingest:ratelimit:key:<key id>`), shared by every ingest replica. */
export function redisEventBudgets(redis: Redis, keyPrefix: string): TakeEvents {
  return (keyId, amount, limit) =>
    takeFromWindow(redis, `${keyPrefix}ingest:ratelimit:key:${keyId}`, { amount, limit, windowMs: KEY_WINDOW_MS });
}

/**
 * Each API key's events per minute over HTTP: its own `events_per_minute` (`keys limit`), else
 * INGEST_KEY_EVENTS_PER_MINUTE; 0 = no limit. So one runaway device, script or leaked extension key
 * cannot take the pipeline's capacity from the district's other sources.
 */
export interface KeyEventLimit {
  /** Refuses (429) a key that was refused earlier in this window, before its body is read; no Redis call. */
  refuseIfSpent(request: FastifyRequest): void;
  /** Takes the request's items from its key's budget; refuses (429) when the window had no room left. */
  charge(request: FastifyRequest, items: number): Promise<void>;
}

export function keyEventLimit(deps: {
  take: TakeEvents;
  /** INGEST_KEY_EVENTS_PER_MINUTE: the limit of keys without their own. */
  defaultPerMinute: number;
  metrics: IngestMetrics;
  now?: () => number;
}): KeyEventLimit {
  const now = deps.now ?? Date.now;
  /** Keys refused in this process, until their window ends: their next requests are refused unread. */
  const spentUntil = new Map<string, { until: number; limit: number }>();
  let lastWarning = -Infinity;

  const limitOf = (request: FastifyRequest): number => request.sender?.events_per_minute ?? deps.defaultPerMinute;

  const refusal = (request: FastifyRequest, limit: number, retryAfterSeconds: number) => {
    const own = request.sender?.events_per_minute !== undefined;
    return new RequestRefused(
      429,
      'key_rate_limited',
      `this API key (${request.sender?.key_id}) has sent its ${limit} events of this minute ` +
        `(${own ? 'its own limit, set with keys limit' : 'INGEST_KEY_EVENTS_PER_MINUTE'}); ` +
        `nothing of this request was accepted: send it again in ${retryAfterSeconds} s`,
      { 'retry-after': String(retryAfterSeconds) },
    );
  };

  return {
    refuseIfSpent(request) {
      const keyId = request.sender?.key_id;
      if (keyId === undefined) return;
      const spent = spentUntil.get(keyId);
      if (spent === undefined) return;
      const left = spent.until - now();
      // A limit raised (or lifted) since is honoured at once.
      if (left <= 0 || limitOf(request) !== spent.limit) spentUntil.delete(keyId);
      else throw refusal(request, spent.limit, Math.ceil(left / 1000));
    },

    async charge(request, items) {
      const keyId = request.sender?.key_id;
      const limit = limitOf(request);
      if (keyId === undefined || limit === 0 || items === 0) return;
      let answer: WindowAnswer;
      try {
        answer = await deps.take(keyId, items, limit);
      } catch (err) {
        // Let it through: the limit guards capacity, and refusing every event while Redis is down
        // would lose data at clients that do not retry. Counted, and logged at most every 10 s.
        deps.metrics.keyLimitUnchecked.inc();
        if (now() - lastWarning >= 10_000) {
          lastWarning = now();
          request.log.warn({ err }, 'cannot count API key events (Redis): letting requests through unlimited');
        }
        return;
      }
      if (answer.allowed) return;
      if (spentUntil.size >= 10_000) for (const [k, v] of spentUntil) if (v.until <= now()) spentUntil.delete(k);
      spentUntil.set(keyId, { until: now() + answer.retryAfterSeconds * 1000, limit });
      throw refusal(request, limit, answer.retryAfterSeconds);
    },
  };
}
