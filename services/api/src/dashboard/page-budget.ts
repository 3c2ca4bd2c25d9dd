import type { Redis } from 'ioredis';

/**
 * One fixed window's counter: INCR, with the window's expiry set by the first hit of the window (and
 * again should a counter have lost it); answers the count and the milliseconds left. One atomic round
 * trip. Not @fastify/rate-limit's createRateLimit: its limiters made outside a route put
 * "undefinedundefined-" into their Redis keys (it builds them from the route's method and URL).
 */
const COUNT_IN_WINDOW = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

/** Whether a page may be shown now, or in how many seconds it may. */
export type PageBudgetAnswer = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Each dashboard token's page budget (API_DASHBOARD_PAGE_LIMIT pages per API_RATE_WINDOW_MS), counted
 * in Redis beside the API's rate limits (`<prefix>api:ratelimit:dashboard-page:token:<id>`), so it
 * holds across restarts and replicas. Throws when Redis does not answer: the caller refuses the page.
 */
export function pageBudget(
  redis: Redis,
  opts: { keyPrefix: string; limit: number; windowMs: number },
): (tokenId: string) => Promise<PageBudgetAnswer> {
  return async (tokenId) => {
    const key = `${opts.keyPrefix}api:ratelimit:dashboard-page:token:${tokenId}`;
    const [count, ttlMs] = (await redis.eval(COUNT_IN_WINDOW, 1, key, String(opts.windowMs))) as [number, number];
    return count <= opts.limit
      ? { allowed: true }
      : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
  };
}
