import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { giveBackToWindow, takeFromWindow, type WindowAnswer } from '@edusage/redis';
import type { IngestMetrics } from './metrics';
import { RequestRefused } from './request-refused';

/** The budget's window: events per minute. */
export const KEY_WINDOW_MS = 60_000;

/** Each key's budget of events in the current window. Both throw when they cannot tell. */
export interface EventBudgets {
  /** Takes `amount` events from a key's budget of `limit`; refused (nothing taken) when it has no room. */
  take(keyId: string, amount: number, limit: number): Promise<WindowAnswer>;
  /** Gives back events taken for a request whose events were not stored. */
  giveBack(keyId: string, amount: number): Promise<void>;
}

/** The budgets in Redis (`<prefix>ingest:ratelimit:key:<key id>`), shared by every ingest replica. */
export function redisEventBudgets(redis: Redis, keyPrefix: string): EventBudgets {
  const keyOf = (keyId: string) => `${keyPrefix}ingest:ratelimit:key:${keyId}`;
  return {
    take: (keyId, amount, limit) => takeFromWindow(redis, keyOf(keyId), { amount, limit, windowMs: KEY_WINDOW_MS }),
    giveBack: (keyId, amount) => giveBackToWindow(redis, keyOf(keyId), amount),
  };
}

/**
 * Each API key's events per minute over HTTP: its own `events_per_minute` (`keys limit`), else
 * INGEST_KEY_EVENTS_PER_MINUTE; 0 = no limit. So one runaway device, script or leaked extension key
 * cannot take the pipeline's capacity from the district's other sources.
 */
export interface KeyEventLimit {
  /** Refuses (429) a key that was refused earlier in this window, before its body is read; no Redis call. */
  refuseIfSpent(request: FastifyRequest): void;
  /**
   * Takes the request's items from its key's budget; refuses (429) when the window had no room left.
   * Resolves to what gives them back (best effort), for a request whose events Kafka did not take.
   */
  charge(request: FastifyRequest, items: number): Promise<() => Promise<void>>;
}

const NOTHING_TAKEN = async () => undefined;

export function keyEventLimit(deps: {
  budgets: EventBudgets;
  /** INGEST_KEY_EVENTS_PER_MINUTE: the limit of keys without their own. */
  defaultPerMinute: number;
  metrics: IngestMetrics;
  now?: () => number;
}): KeyEventLimit {
  const now = deps.now ?? Date.now;
  /** Keys refused in this process, until their window ends: their next requests are refused unread. */
  const spentUntil = new Map<string, { until: number; limit: number }>();
  let lastWarning = -Infinity;
  const warnAtMostEvery10s = (request: FastifyRequest, err: unknown, message: string) => {
    if (now() - lastWarning < 10_000) return;
    lastWarning = now();
    request.log.warn({ err }, message);
  };

  const limitOf = (request: FastifyRequest): number => request.sender?.events_per_minute ?? deps.defaultPerMinute;

  const refusal = (request: FastifyRequest, limit: number, retryAfterSeconds: number) => {
    const own = request.sender?.events_per_minute !== undefined;
    return new RequestRefused(
      429,
      'key_rate_limited',
      `this API key (${request.sender?.key_id}) has used its ${limit} events a minute ` +
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
      if (keyId === undefined || limit === 0 || items === 0) return NOTHING_TAKEN;
      let answer: WindowAnswer;
      try {
        answer = await deps.budgets.take(keyId, items, limit);
      } catch (err) {
        // Let it through: the limit guards capacity, and refusing every event while Redis is down
        // would lose data at clients that do not retry. Counted, and logged at most every 10 s.
        deps.metrics.keyLimitUnchecked.inc();
        warnAtMostEvery10s(request, err, 'cannot count API key events (Redis): letting requests through unlimited');
        return NOTHING_TAKEN;
      }
      if (answer.allowed)
        return () =>
          deps.budgets
            .giveBack(keyId, items)
            .catch((err: unknown) => warnAtMostEvery10s(request, err, 'cannot give API key events back (Redis)'));
      if (spentUntil.size >= 10_000) for (const [k, v] of spentUntil) if (v.until <= now()) spentUntil.delete(k);
      spentUntil.set(keyId, { until: now() + answer.retryAfterSeconds * 1000, limit });
      throw refusal(request, limit, answer.retryAfterSeconds);
    },
  };
}
