import { addDays } from '@edusage/rollups';
import { isoDay } from './fields';

/** `7d` / `30d` / `90d` / `<n>d` (the last n days up to and including `asOf`), `term` (term to date), or `YYYY-MM-DD..YYYY-MM-DD`. */
export function parseWindow(spec: string, asOf: string, termStart: string | null): { from: string; to: string } {
  if (!isoDay.safeParse(asOf).success) throw new Error(`--as-of: not a date YYYY-MM-DD: ${asOf}`);
  const days = /^(\d{1,4})d$/.exec(spec);
  if (days) {
    const n = Number(days[1]);
    if (n < 1) throw new Error(`--window: at least 1 day: ${spec}`);
    return { from: addDays(asOf, 1 - n), to: asOf };
  }
  if (spec === 'term') {
    if (termStart === null) throw new Error('--window term: no license term contains the as-of date');
    return { from: termStart, to: asOf };
  }
  const custom = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(spec);
  if (
    custom &&
    isoDay.safeParse(custom[1]).success &&
    isoDay.safeParse(custom[2]).success &&
    custom[1]! <= custom[2]!
  ) {
    return { from: custom[1]!, to: custom[2]! };
  }
  throw new Error(`--window: expected 7d, 30d, 90d, <n>d, term or YYYY-MM-DD..YYYY-MM-DD, got ${JSON.stringify(spec)}`);
}

/** Calendar arithmetic on district-local days: the one of @edusage/rollups (re-exported for this package's users). */
export { addDays };
