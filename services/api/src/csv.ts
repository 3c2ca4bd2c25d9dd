import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';

type Cell = string | number | boolean | null | undefined | readonly unknown[];

/** A CSV cell: arrays space-separated (flags), null and missing empty, booleans true/false. */
function cell(v: Cell): string | number {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join(' ');
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v as string | number;
}

/**
 * Rows as a CSV stream (csv-stringify: RFC 4180 quoting), header first. The columns are given, so an
 * empty list still has its header line.
 */
export function csvStream(rows: readonly Record<string, unknown>[], columns: readonly string[]): Readable {
  const records = rows.map((r) => Object.fromEntries(columns.map((c) => [c, cell(r[c] as Cell)])));
  return Readable.from(records).pipe(stringify({ header: true, columns: [...columns] }));
}
