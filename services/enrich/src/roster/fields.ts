import { parseRosterDate } from './dates';
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

export function date(v: Values, field: string, slashOrder: 'dmy' | 'mdy' = 'dmy'): string | null {
  const raw = opt(v, field);
  if (raw === '') return null;
  const d = parseRosterDate(raw, slashOrder);
  if (d === null)
    throw new FieldError(
      field,
      `${field} "${raw}" is not a date (YYYY-MM-DD, YYYY-MM-DD hh:mm:ss, ISO 8601 or ${slashOrder === 'mdy' ? 'MM/DD/YYYY' : 'DD/MM/YYYY'})`,
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

export function checkEmail(email: string): string | null {
  if (email !== '' && !email.includes('@')) throw new FieldError('email', `email "${email}" has no @`);
  return nullable(email);
}
