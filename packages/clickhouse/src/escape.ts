/**
 * The one place that turns values into ClickHouse SQL literals. ClickHouse 18.16 has no server-side
 * query parameters, so every literal in every query is built here; API inputs are validated by zod
 * before they reach this module, and this module still refuses anything it cannot render safely.
 */

/** A single-quoted string literal: backslash and quote escaped, control characters as escapes. */
export function sqlString(value: string): string {
  let out = "'";
  for (const ch of value) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case "'":
        out += "\\'";
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\0':
        out += '\\0';
        break;
      default:
        out += ch;
    }
  }
  return out + "'";
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A table, column or database name: only plain identifiers are accepted, then back-quoted. */
export function sqlIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return '`' + name + '`';
}

export function sqlNumber(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(value);
}

/**
 * A real calendar day written YYYY-MM-DD (never throws, unlike `new Date(…).toISOString()` on
 * 2026-13-01): the one check of the repository, for SQL literals, request parameters, file fields
 * and stored rows alike.
 */
export function isCalendarDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/** A Date literal from YYYY-MM-DD (checked to be a real calendar day). */
export function sqlDate(day: string): string {
  if (!isCalendarDay(day)) throw new Error(`not a YYYY-MM-DD calendar day: ${JSON.stringify(day)}`);
  return `toDate(${sqlString(day)})`;
}

/** A DateTime column's value in a row to insert: 'YYYY-MM-DD hh:mm:ss' of `at` in UTC (the servers' zone). */
export function utcDateTime(at: Date): string {
  if (Number.isNaN(at.getTime())) throw new Error('invalid Date');
  return at.toISOString().slice(0, 19).replace('T', ' ');
}

/** A UTC DateTime literal from a JS Date. */
export function sqlDateTime(at: Date): string {
  return `toDateTime(${sqlString(utcDateTime(at))}, 'UTC')`;
}

/** A parenthesized list for IN (...), each element rendered by `render`. */
export function sqlList<T>(values: readonly T[], render: (v: T) => string): string {
  if (values.length === 0) throw new Error('empty list in IN (...)');
  return '(' + values.map(render).join(', ') + ')';
}
