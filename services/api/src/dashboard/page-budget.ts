import type { Redis } from 'ioredis';
import { takeFromWindow, type WindowAnswer } from '@edusage/redis';

/** Whether a page may be shown now, or in how many seconds it may. */
export type PageBudgetAnswer = WindowAnswer;

/**
 * Each dashboard token's page budget (API_DASHBOARD_PAGE_LIMIT pages per API_RATE_WINDOW_MS), counted
 * in Redis beside the API's rate limits (`<prefix>api:ratelimit:dashboard-page:token:<id>`), so it
 * holds across restarts and replicas. Throws when Redis does not answer: the caller refuses the page.
 */
export function pageBudget(
  redis: Redis,
  opts: { keyPrefix: string; limit: number; windowMs: number },
): (tokenId: string) => Promise<PageBudgetAnswer> {
  return (tokenId) =>
    takeFromWindow(redis, `${opts.keyPrefix}api:ratelimit:dashboard-page:token:${tokenId}`, {
      amount: 1,
      limit: opts.limit,
      windowMs: opts.windowMs,
    });
}
