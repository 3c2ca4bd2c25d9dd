/**
 * The privacy scan: is any piece of a personal value (a roster name, email, username, sourcedId, or a
 * secret planted in a bad input) stored anywhere in ClickHouse? Every String-typed column of every
 * table and view of the given databases is read (distinct values), and every substring of
 * {@link PIECE} characters of every sensitive value is looked for in them, case-insensitively.
 */
import { queryRows, sqlIdentifier, sqlString, type ClickHouseClient } from '@edusage/clickhouse';

/** Length of the pieces looked for: any 6+ character substring contains a 6-character one. */
export const PIECE = 6;

export interface Hit {
  /** `<database>.<table>.<column>` */
  column: string;
  piece: string;
  /** The sensitive value the piece comes from. */
  from: string;
  /** The stored value (cut to 160 characters). */
  value: string;
}

/** Every PIECE-character substring (lower-cased) of each value → the value it comes from. */
export function piecesOf(values: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const value of values) {
    const lower = value.toLowerCase();
    for (let i = 0; i + PIECE <= lower.length; i++) out.set(lower.slice(i, i + PIECE), value);
  }
  return out;
}

/**
 * A digest (hex, optionally `sha256:`-prefixed) or a UUID (an event id) is hex text: a piece made of hex
 * digits only (the digits of a sourcedId such as `000123`) is found in one by chance (the sample's
 * event UUIDs end in a counter). Such hits are not leaks; any other piece in them still is.
 */
const DIGEST = /^(sha256:|urn:uuid:)?([0-9a-f]{16,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const HEX_PIECE = /^[0-9a-f]+$/;

/** The hits of `pieces` in one stored value. */
export function hitsIn(value: string, pieces: Map<string, string>, column: string): Hit[] {
  const lower = value.toLowerCase();
  const digest = DIGEST.test(lower);
  const hits: Hit[] = [];
  for (let i = 0; i + PIECE <= lower.length; i++) {
    const piece = lower.slice(i, i + PIECE);
    const from = pieces.get(piece);
    if (from === undefined || (digest && HEX_PIECE.test(piece))) continue;
    hits.push({ column, piece, from, value: value.slice(0, 160) });
    break; // one hit per value is enough to name it
  }
  return hits;
}

export interface ScanResult {
  hits: Hit[];
  /** `<database>.<table>` read, and how many String columns and distinct values were searched. */
  tables: string[];
  columns: number;
  values: number;
}

/** Scans every String column (also Nullable, LowCardinality, FixedString, Array of them) of `databases`. */
export async function scanDatabases(
  ch: ClickHouseClient,
  databases: readonly string[],
  pieces: Map<string, string>,
): Promise<ScanResult> {
  const result: ScanResult = { hits: [], tables: [], columns: 0, values: 0 };
  if (databases.length === 0) return result;
  const columns = await queryRows<{ database: string; table: string; name: string; type: string }>(
    ch,
    `SELECT database, table, name, type FROM system.columns
     WHERE database IN (${databases.map(sqlString).join(', ')}) AND type LIKE '%String%'
     ORDER BY database, table, name`,
  );
  const tables = new Set<string>();
  for (const c of columns) {
    const source = `${sqlIdentifier(c.database)}.${sqlIdentifier(c.table)}`;
    tables.add(`${c.database}.${c.table}`);
    // Arrays are searched element by element; toString makes Nullable/FixedString plain text.
    const expr = c.type.includes('Array') ? `arrayJoin(${sqlIdentifier(c.name)})` : sqlIdentifier(c.name);
    const rows = await queryRows<{ v: string | null }>(ch, `SELECT DISTINCT toString(${expr}) AS v FROM ${source}`);
    result.columns++;
    result.values += rows.length;
    for (const { v } of rows) {
      if (v !== null) result.hits.push(...hitsIn(v, pieces, `${c.database}.${c.table}.${c.name}`));
    }
  }
  result.tables = [...tables];
  return result;
}
