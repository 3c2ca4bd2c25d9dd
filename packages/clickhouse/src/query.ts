import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { sqlIdentifier } from './escape';
import { tsvLine } from './tsv';

/** Inserts rows as JSONEachRow in one INSERT statement (one part per table partition). */
export async function insertRows(client: ClickHouseClient, table: string, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({ table: sqlIdentifier(table), values: rows as object[], format: 'JSONEachRow' });
}

/**
 * Inserts rows as TabSeparated in one INSERT statement, `columns` in that order (every row has each):
 * for hot paths, where JSONEachRow's key names and parsing cost more than the values.
 */
export async function insertTsv(
  client: ClickHouseClient,
  table: string,
  columns: readonly string[],
  rows: readonly Readonly<Record<string, unknown>>[],
): Promise<void> {
  if (rows.length === 0) return;
  const [first, ...rest] = columns.map(sqlIdentifier);
  if (first === undefined) throw new Error(`insertTsv into ${table}: no columns`);
  await client.insert({
    table: sqlIdentifier(table),
    columns: [first, ...rest],
    values: Readable.from([Buffer.from(rows.map((r) => tsvLine(r, columns)).join(''))], { objectMode: false }),
    format: 'TabSeparated',
  });
}

/** Runs a SELECT and returns its rows. Build every literal in `query` with the escape helpers. */
export async function queryRows<T>(
  client: ClickHouseClient,
  query: string,
  opts: { signal?: AbortSignal } = {},
): Promise<T[]> {
  const result = await client.query({
    query,
    format: 'JSONEachRow',
    ...(opts.signal ? { abort_signal: opts.signal } : {}),
  });
  return result.json<T>();
}

/** Column types whose values ClickHouse's JSON formats quote by default (64-bit and wider integers). */
const QUOTED_INTEGER = /^(?:Nullable\()?U?Int(?:64|128|256)\)?$/;

/**
 * Runs a SELECT and returns its column names (in the query's order) with its rows as objects (ClickHouse's
 * JSON format, which names the columns even when no row comes): for `SELECT *` answers whose columns the
 * caller does not know, so an empty answer can still have its CSV header. 64-bit integers are numbers,
 * as the other counts (exact below 2^53): converted here by the answer's column types, not with
 * output_format_json_quote_64bit_integers, which a read-only user (readonly=1, the research endpoints'
 * `researcher`) may not send.
 */
export async function queryTable<T>(
  client: ClickHouseClient,
  query: string,
): Promise<{ columns: string[]; rows: T[] }> {
  const result = await client.query({ query, format: 'JSON' });
  const body = await result.json<Record<string, unknown>>();
  const meta = body.meta ?? [];
  const quoted = meta.filter((m) => QUOTED_INTEGER.test(m.type)).map((m) => m.name);
  for (const row of body.data) {
    for (const name of quoted) if (typeof row[name] === 'string') row[name] = Number(row[name]);
  }
  return { columns: meta.map((m) => m.name), rows: body.data as T[] };
}

/**
 * Runs a SELECT and returns its rows as arrays of values in the query's column order (JSONCompact, one
 * document): for results of many rows, cheaper to parse than objects with a key per value.
 * `numbers`: 64-bit integers come as JSON numbers, not strings (exact below 2^53: counts and sums of
 * one district). A month of class × app (45,000 rows): JSON.parse ~22 → ~11 ms, 180,000 fewer strings.
 */
export async function queryArrays<T extends unknown[]>(
  client: ClickHouseClient,
  query: string,
  o: { numbers?: boolean } = {},
): Promise<T[]> {
  const result = await client.query({
    query,
    format: 'JSONCompact',
    ...(o.numbers ? { clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } } : {}),
  });
  return (await result.json<T>()).data;
}

/**
 * Runs a SELECT and returns its rows as the text of one JSON array of objects (ClickHouse's own
 * JSONEachRow lines, joined), never parsed here: for a list passed on as JSON as it is. 64-bit integers
 * are JSON numbers (as `queryArrays`' `numbers`); keys in the query's column order. ClickHouse escapes
 * `/` as `\/` in strings: the same JSON values, not the same bytes as JSON.stringify.
 */
export async function queryJsonArray(client: ClickHouseClient, query: string): Promise<{ json: string; rows: number }> {
  const result = await client.query({
    query,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const text = await result.text();
  // An error after the first rows comes as text appended to a 200 answer (18.16; an error marker in
  // current versions): never send that as rows.
  if (text.length > 0 && !text.endsWith('}\n'))
    throw new Error(
      `ClickHouse's answer ended in an error after some rows: ${text
        .slice(text.lastIndexOf('}\n') + 2)
        .slice(0, 500)
        .trim()}`,
    );
  // One object a line, each line ended; a newline inside a string is escaped (\n), never raw.
  let rows = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) rows++;
  if (rows === 0) return { json: '[]', rows };
  return { json: `[${text.slice(0, -1).replaceAll('\n', ',')}]`, rows };
}

/** Runs a statement that returns no rows (DDL, ALTER, ...). */
export async function command(client: ClickHouseClient, query: string): Promise<void> {
  await client.command({ query });
}
