import type { Redis } from 'ioredis';

/**
 * One fixed window's counter: INCRBY, with the window's expiry set by the first take of the window
 * (and again should a counter have lost it); answers the new count and the milliseconds left. One
 * atomic round trip. Not @fastify/rate-limit's createRateLimit: its limiters made outside a route put
 * "undefinedundefined-" into their Redis keys (it builds them from the route's method and URL).
 */
const TAKE_IN_WINDOW = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {n, ttl}`;

/** Whether a take was allowed, or in how many seconds the window ends. */
export type WindowAnswer = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Takes `amount` (≥ 1) from a budget of `limit` per fixed window of `windowMs`, counted under `key`.
 * Allowed when the window still had room before this take, so one take may end past the limit (a
 * request's items are not split) and the next one is refused until the window ends. Throws when Redis
 * does not answer: the caller decides whether to refuse or to let it through.
 */
export async function takeFromWindow(
  redis: Redis,
  key: string,
  opts: { amount: number; limit: number; windowMs: number },
): Promise<WindowAnswer> {
  const [count, ttlMs] = (await redis.eval(TAKE_IN_WINDOW, 1, key, String(opts.amount), String(opts.windowMs))) as [
    number,
    number,
  ];
  return count - opts.amount < opts.limit
    ? { allowed: true }
    : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
}
