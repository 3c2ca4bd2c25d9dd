/**
 * The zod schemas of the API's parameters: they validate every request and are the OpenAPI document's
 * parameter schemas (one definition for both). Query strings arrive as strings (an array when a name is
 * repeated, which a string schema refuses), so every parameter is a bounded string first.
 */
import { z } from 'zod';
import { isCalendarDay } from '@edusage/clickhouse';
import { parseWindow, windowDays, WindowError } from '@edusage/licenses';
import { PLAIN_ID } from './tokens';

/** Dates the API accepts: nothing is stored outside these years. */
export const FIRST_DAY = '2000-01-01';
export const LAST_DAY = '2099-12-31';
/** Longest period of one request (a school year and then some). */
export const MAX_PERIOD_DAYS = 366;

export const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine(isCalendarDay, 'is not a calendar day')
  .refine((s) => s >= FIRST_DAY && s <= LAST_DAY, `must be between ${FIRST_DAY} and ${LAST_DAY}`)
  .meta({ format: 'date', example: '2026-09-14' });

export const plainId = z
  .string()
  .regex(PLAIN_ID, 'must be 1-128 characters: letters, digits, _ . : - (not starting with a symbol)');

/** `format=csv` (or `Accept: text/csv`) answers a list as CSV instead of JSON. */
export const format = z
  .enum(['json', 'csv'])
  .optional()
  .describe('json (default) or csv; `Accept: text/csv` also gives csv');

export const FRESHNESS_VALUES = ['live', 'compacted'] as const;

/** Which rollup rows a report reads (freshness.ts; docs/ARCHITECTURE.md "Reads as of the compactions"). */
export const freshness = z
  .enum(FRESHNESS_VALUES)
  .optional()
  .describe(
    'compacted (the default unless the deployment sets API_DEFAULT_FRESHNESS=live): each month as of its last rollup compaction (the jobs service runs one every ROLLUP_COMPACTION_MINUTES; the answer lists each month with its `compacted_at` and `checked_at`; a month not compacted yet is read with everything folded), exact at its marks and the same on every read until the next compaction; live: everything folded into the rollups, seconds behind the events, slower while the current month is being written',
  );

export const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** `from`..`to`, inclusive district-local days, at most MAX_PERIOD_DAYS. */
export const periodQuery = {
  from: day.describe(`first district-local day (inclusive), ${FIRST_DAY} to ${LAST_DAY}`),
  to: day.describe(`last district-local day (inclusive), at most ${MAX_PERIOD_DAYS} days from \`from\``),
};

export function checkPeriod(q: { from: string; to: string }, ctx: z.RefinementCtx): void {
  if (q.from > q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  else if (daysBetween(q.from, q.to) + 1 > MAX_PERIOD_DAYS)
    ctx.addIssue({ code: 'custom', path: ['to'], message: `the period may span at most ${MAX_PERIOD_DAYS} days` });
}

/** The forms of the license report's window (the CLI's `--window`). */
const LICENSE_WINDOW_FORM = /^(\d{1,4}d|term|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})$/;

/** Why a resolved license window is refused (null: it is fine): longer than MAX_PERIOD_DAYS. */
export function licenseWindowSpanIssue(w: { from: string; to: string }): string | null {
  return windowDays(w) > MAX_PERIOD_DAYS ? `the window may span at most ${MAX_PERIOD_DAYS} days` : null;
}

/**
 * Why a license window spec of one of the forms is refused before anything is read (null: it is
 * fine): a window parseWindow refuses (a day that does not exist, the end before the start), a day
 * outside FIRST_DAY..LAST_DAY, or longer than MAX_PERIOD_DAYS (`<n>d` too). `term` depends on the
 * licenses in force on the as-of day: it is resolved, and its span checked with licenseWindowSpanIssue,
 * once they are read (endpoints/licenses.ts `licensesAndBoundedWindow`).
 */
export function licenseWindowIssue(spec: string): string | null {
  if (spec === 'term') return null;
  let w: { from: string; to: string };
  try {
    w = parseWindow(spec, LAST_DAY, null);
  } catch (err) {
    if (err instanceof WindowError) return err.reason;
    throw err;
  }
  if (/^\d+d$/.test(spec)) return windowDays(w) <= MAX_PERIOD_DAYS ? null : `must be 1d to ${MAX_PERIOD_DAYS}d`;
  if (w.from < FIRST_DAY || w.to > LAST_DAY) return `days must be between ${FIRST_DAY} and ${LAST_DAY}`;
  return licenseWindowSpanIssue(w);
}

/** The license report's window, as the `licenses report` CLI takes it, bounded as the periods are. */
export const licenseWindow = z
  .string()
  .regex(LICENSE_WINDOW_FORM, `must be <n>d (1-${MAX_PERIOD_DAYS}), term, or YYYY-MM-DD..YYYY-MM-DD`)
  .superRefine((spec, ctx) => {
    // A spec of no form has the regex's issue only.
    const issue = LICENSE_WINDOW_FORM.test(spec) ? licenseWindowIssue(spec) : null;
    if (issue !== null) ctx.addIssue({ code: 'custom', message: issue });
  });
