import type { ClickHouseClient } from '@clickhouse/client';
import { sqlIdentifier } from './escape';

/** Inserts rows as JSONEachRow in one INSERT statement (one part per table partition). */
export async function insertRows(client: ClickHouseClient, table: string, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({ table: sqlIdentifier(table), values: rows as object[], format: 'JSONEachRow' });
}

/** Runs a SELECT and returns its rows. Build every literal in `query` with the escape helpers. */
export async function queryRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
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

/** Runs a statement that returns no rows (DDL, ALTER, ...). */
export async function command(client: ClickHouseClient, query: string): Promise<void> {
  await client.command({ query });
}
