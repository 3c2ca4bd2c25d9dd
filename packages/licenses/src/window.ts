import { isCalendarDay } from '@edusage/clickhouse';
import { addDays } from '@edusage/rollups';

/**
 * A window spec or as-of day the report cannot take. `option` is what was wrong (`window` or
 * `as_of`), `reason` says why without naming it (the API prefixes its parameter's name); the
 * message is the CLI's (`--window: …`).
 */
export class WindowError extends Error {
  constructor(
    readonly option: 'window' | 'as_of',
    readonly reason: string,
  ) {
    super(`--${option === 'as_of' ? 'as-of' : 'window'}${reason.startsWith('term:') ? ' ' : ': '}${reason}`);
    this.name = 'WindowError';
  }
}

/** Days from `from` to `to`, both included (1 for a one-day window). */
export const windowDays = (w: { from: string; to: string }): number =>
  Math.round((Date.parse(`${w.to}T00:00:00Z`) - Date.parse(`${w.from}T00:00:00Z`)) / 86_400_000) + 1;

/**
 * `7d` / `30d` / `90d` / `<n>d` (the last n days up to and including `asOf`), `term` (term to date), or
 * `YYYY-MM-DD..YYYY-MM-DD` (calendar days, the first not after the second). Throws a WindowError.
 */
export function parseWindow(spec: string, asOf: string, termStart: string | null): { from: string; to: string } {
  if (!isCalendarDay(asOf)) throw new WindowError('as_of', `not a date YYYY-MM-DD: ${asOf}`);
  const days = /^(\d{1,4})d$/.exec(spec);
  if (days) {
    const n = Number(days[1]);
    if (n < 1) throw new WindowError('window', `at least 1 day: ${spec}`);
    return { from: addDays(asOf, 1 - n), to: asOf };
  }
  if (spec === 'term') {
    if (termStart === null) throw new WindowError('window', 'term: no license term contains the as-of date');
    return { from: termStart, to: asOf };
  }
  const custom = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(spec);
  if (custom) {
    const [, from, to] = custom as unknown as [string, string, string];
    for (const d of [from, to]) if (!isCalendarDay(d)) throw new WindowError('window', `${d} is not a calendar day`);
    if (to < from) throw new WindowError('window', `the end ${to} is before the start ${from}`);
    return { from, to };
  }
  throw new WindowError(
    'window',
    `expected 7d, 30d, 90d, <n>d, term or YYYY-MM-DD..YYYY-MM-DD, got ${JSON.stringify(spec)}`,
  );
}

/** Calendar arithmetic on district-local days: the one of @edusage/rollups (re-exported for this package's users). */
export { addDays };

/** The later and the earlier of two YYYY-MM-DD days (they compare as text). */
export const laterDay = (a: string, b: string): string => (a > b ? a : b);
export const earlierDay = (a: string, b: string): string => (a < b ? a : b);
