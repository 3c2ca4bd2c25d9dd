import { SLASH_ORDER_NAMES, parseRosterDate, type SlashOrder } from './dates';
import type { RosterStatus } from './model';

/** A bad value in one row: the row is rejected with this field and message. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A row's values by lower-cased column name. */
export type Values = Map<string, string>;

/** The first non-empty value among the given columns (names in any case), or ''. */
export function opt(v: Values, ...names: string[]): string {
  for (const n of names) {
    const x = v.get(n.toLowerCase());
    if (x !== undefined && x !== '') return x;
  }
  return '';
}

export function req(v: Values, name: string, ...aliases: string[]): string {
  const x = opt(v, name, ...aliases);
  if (x === '') throw new FieldError(name, `${name} is required`);
  return x;
}

export function nullable(s: string): string | null {
  return s === '' ? null : s;
}

/** A comma-separated list (OneRoster multi-valued fields). */
export function list(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

/** A date column's value as YYYY-MM-DD (slash dates in the file's order), null when empty. */
export function date(v: Values, field: string, slashOrder: SlashOrder): string | null {
  const raw = opt(v, field);
  if (raw === '') return null;
  const d = parseRosterDate(raw, slashOrder);
  if (d === null)
    throw new FieldError(
      field,
      `${field} "${raw}" is not a date (YYYY-MM-DD, YYYY-MM-DD hh:mm:ss, ISO 8601, or a slash date ` +
        `${SLASH_ORDER_NAMES[slashOrder]} as the file's slash dates are read)`,
    );
  return d;
}

/** Status: '' or active/inactive (any case); `tobedeleted` → 'deleted'; anything else is an error. */
export function status(v: Values): RosterStatus | 'deleted' {
  const s = opt(v, 'status').toLowerCase();
  if (s === '' || s === 'active' || s === 'inactive') return s;
  if (s === 'tobedeleted') return 'deleted';
  throw new FieldError('status', `status "${s}" is not active, inactive or tobedeleted`);
}

export function bool(s: string): boolean {
  return /^(true|1|yes|y)$/i.test(s.trim());
}

/**
 * An email, or null. A value without @ (`none`, `n/a`: young students without a mailbox) is no
 * email, not a bad row: the user is kept without one (a warning), so their enrollments still resolve.
 */
export function email(v: Values, warn: (field: string, message: string) => void): string | null {
  const raw = opt(v, 'email');
  if (raw === '' || raw.includes('@')) return nullable(raw);
  warn('email', `email "${raw}" has no @: the user is kept without an email`);
  return null;
}
