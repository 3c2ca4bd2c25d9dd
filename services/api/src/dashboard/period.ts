import { z } from 'zod';
import { weeksEndingOn } from '@edusage/reports';
import type { Freshness } from '../freshness';
import { checkPeriod, day, freshness } from '../params';
import { PageError } from './data';

/** Default period: the last 12 weeks up to today (a term's worth of weekly points). */
export const DEFAULT_WEEKS = 12;

// A type alias (not an interface), so a Period passes as the endpoints' query record. `freshness`
// (absent: the API's default) goes with it to every endpoint that takes one (data.ts).
export type Period = { from: string; to: string; freshness?: Freshness };

const addDays = (d: string, n: number) =>
  new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The API's own date rules (calendar days, from ≤ to, at most a year): the same schema pieces. */
const periodSchema = z.object({ from: day, to: day }).superRefine(checkPeriod);

/**
 * The page's period from `from`/`to` in the URL, defaulting to the 12 weeks ending today (or starting
 * at `from`), with the page's `freshness` (the API's parameter). Bad input is a PageError whose
 * messages name the field.
 */
export function pagePeriod(query: Record<string, string | undefined>, today: string): Period {
  const given = { from: query.from || undefined, to: query.to || undefined };
  // Each given day on its own first: one message per bad field, and no order check against a guess.
  const bad = Object.entries(given).flatMap(([field, value]) => {
    const r = value === undefined ? null : day.safeParse(value);
    return r && !r.success ? [`${field}: ${r.error.issues[0]!.message}`] : [];
  });
  const fresh = freshness.safeParse(query.freshness || undefined);
  if (!fresh.success) bad.push(`freshness: ${fresh.error.issues[0]!.message}`);
  if (bad.length > 0) throw new PageError(400, bad);
  const span = DEFAULT_WEEKS * 7 - 1;
  const to = given.to ?? (given.from ? addDays(given.from, span) : today);
  const from = given.from ?? addDays(to, -span);
  const parsed = periodSchema.safeParse({ from, to });
  if (!parsed.success)
    throw new PageError(
      400,
      parsed.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`),
    );
  return fresh.data === undefined ? parsed.data : { ...parsed.data, freshness: fresh.data };
}

/**
 * Consecutive 7-day weeks ending on `to`, oldest first, the first one cut at `from` (the API's weeks),
 * each with the period's freshness.
 */
export const weeksOf = (p: Period): Period[] =>
  weeksEndingOn(p.from, p.to).map((w) => (p.freshness === undefined ? w : { ...w, freshness: p.freshness }));
