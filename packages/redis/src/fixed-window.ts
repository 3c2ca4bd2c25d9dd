import type { Redis } from 'ioredis';

/**
 * One fixed window's counter: a take is added (INCRBY) only while the window still has room, so refused
 * takes leave the count as it was (a limit raised in the middle of a window applies at once); the
 * window's expiry is set by its first take (and again should a counter have lost it, so none is
 * refused for ever). Answers whether
 * the take was added and the milliseconds left. One atomic round trip. Not @fastify/rate-limit's
 * createRateLimit: its limiters made outside a route put "undefinedundefined-" into their Redis keys
 * (it builds them from the route's method and URL).
 */
const TAKE_IN_WINDOW = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local added = 0
if n < tonumber(ARGV[3]) then
  redis.call('INCRBY', KEYS[1], ARGV[1])
  added = 1
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {added, ttl}`;

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
  const [added, ttlMs] = (await redis.eval(
    TAKE_IN_WINDOW,
    1,
    key,
    String(opts.amount),
    String(opts.windowMs),
    String(opts.limit),
  )) as [number, number];
  return added === 1 ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
}

/** Gives `amount` back to the current window (a take whose work did not happen), never below 0. */
export async function giveBackToWindow(redis: Redis, key: string, amount: number): Promise<void> {
  await redis.eval(GIVE_BACK, 1, key, String(amount));
}

const GIVE_BACK = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then
  redis.call('DECRBY', KEYS[1], math.min(n, tonumber(ARGV[1])))
end
return 0`;
