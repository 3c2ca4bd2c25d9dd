import { z } from 'zod';
import { WEEK_DAYS, weekDays, weeksEndingOn } from '@edusage/reports';
import type { Freshness } from '../freshness';
import { checkPeriod, day, freshness } from '../params';
import { PageError } from './data';
import { html, type Html } from './html';

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

export { weekDays };

/** A week with all 7 of its days in the period (only the first week may be cut short, at `from`). */
export const isWholeWeek = (w: { from: string; to: string }): boolean => weekDays(w) === WEEK_DAYS;

/**
 * The weeks a trend chart draws: the whole ones. A first week the period cuts short is left out (its
 * smaller counts would read as a drop), unless it is the period's only week (then it is labelled with
 * its days, weekLabel). The table beside the chart keeps every week with its days.
 */
export function chartedWeeks<W extends { from: string; to: string }>(weeks: W[]): W[] {
  const whole = weeks.filter(isWholeWeek);
  return whole.length > 0 ? whole : weeks;
}

/** "1 day", "3 days". */
export const dayCount = (n: number): string => `${n} ${n === 1 ? 'day' : 'days'}`;

/** A week on a chart's axis: its last day, with its days when it has fewer than 7. */
export function weekLabel(w: { from: string; to: string }): string {
  return isWholeWeek(w) ? w.to : `${w.to} (${dayCount(weekDays(w))})`;
}

/** "The first week, 2026-09-01 to 2026-09-02, has only 2 of its 7 days in the period". */
export const cutShort = (which: string, w: { from: string; to: string }): string =>
  `${which}, ${w.from} to ${w.to}, has only ${weekDays(w)} of its ${WEEK_DAYS} days in the period`;

/** The note beside a trend whose first week chartedWeeks leaves out (null when it leaves out none). */
export function leftOutWeekNote(weeks: { from: string; to: string }[]): Html | null {
  const charted = chartedWeeks(weeks);
  const left = weeks.filter((w) => !charted.includes(w));
  return left.length === 0
    ? null
    : html`<p class="note">
        ${cutShort('The first week', left[0]!)}: the charts leave it out (its smaller counts would look like a drop);
        the tables show it with its days.
      </p>`;
}
