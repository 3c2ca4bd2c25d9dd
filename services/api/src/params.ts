/**
 * The zod schemas of the API's parameters: they validate every request and are the OpenAPI document's
 * parameter schemas (one definition for both). Query strings arrive as strings (an array when a name is
 * repeated, which a string schema refuses), so every parameter is a bounded string first.
 */
import { z } from 'zod';
import { PLAIN_ID } from './tokens';

/** Dates the API accepts: nothing is stored outside these years. */
export const FIRST_DAY = '2000-01-01';
export const LAST_DAY = '2099-12-31';
/** Longest period of one request (a school year and then some). */
export const MAX_PERIOD_DAYS = 366;

const isCalendarDay = (s: string) => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
};

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

/** The license report's window, as the `licenses report` CLI takes it. */
export const licenseWindow = z
  .string()
  .regex(
    /^(\d{1,4}d|term|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})$/,
    'must be <n>d (1-3660), term, or YYYY-MM-DD..YYYY-MM-DD',
  )
  .refine((s) => !/^\d+d$/.test(s) || (Number(s.slice(0, -1)) >= 1 && Number(s.slice(0, -1)) <= 3660), {
    message: 'must be 1d to 3660d',
  });
