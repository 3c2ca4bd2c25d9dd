import { Readable } from 'node:stream';
import { defuseFormula } from '@edusage/research';
import { stringify } from 'csv-stringify';

type Cell = string | number | boolean | null | undefined | readonly unknown[];

// A text cell a spreadsheet would run as a formula gets a leading `'` (names and ids come from
// imports and token creators): the research export's rule, one helper for both.
const defuse = defuseFormula;

/**
 * A CSV cell: arrays space-separated (flags), null and missing empty, booleans true/false (or left to
 * csv-stringify, as a CLI's CSV has them).
 */
function cell(v: Cell, cliBooleans: boolean): string | number | boolean {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return defuse(v.join(' '));
  if (typeof v === 'boolean') return cliBooleans ? v : v ? 'true' : 'false';
  return typeof v === 'string' ? defuse(v) : (v as number);
}

/**
 * Rows as a CSV stream (csv-stringify: RFC 4180 quoting), header first. The columns are given, so an
 * empty list still has its header line.
 */
export function csvStream(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
  opts: { cliBooleans?: boolean } = {},
): Readable {
  const records = rows.map((r) =>
    Object.fromEntries(columns.map((c) => [c, cell(r[c] as Cell, opts.cliBooleans ?? false)])),
  );
  return Readable.from(records).pipe(stringify({ header: true, columns: [...columns] }));
}

/** The response header that carries, on a CSV answer, what a JSON answer says beside its rows. */
export const META_HEADER = 'edusage-meta';

/**
 * A JSON answer's fields beside `rows` (district, period, freshness and the compactions read…) as one
 * header line: JSON with everything outside printable ASCII escaped, as a header value must be.
 */
export function metaHeaderValue(meta: Record<string, unknown>): string {
  return JSON.stringify(meta).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
