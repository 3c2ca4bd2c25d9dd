import type { ClickHouseClient } from '@clickhouse/client';
import { sqlIdentifier } from './escape';

/** Per-statement options: a query_id of the caller's choosing (so it can find the statement in system.processes). */
export interface StatementOptions {
  queryId?: string;
}

/** Inserts rows as JSONEachRow in one INSERT statement (one part per table partition). */
export async function insertRows(
  client: ClickHouseClient,
  table: string,
  rows: readonly object[],
  opts: StatementOptions = {},
): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({
    table: sqlIdentifier(table),
    values: rows as object[],
    format: 'JSONEachRow',
    ...(opts.queryId !== undefined ? { query_id: opts.queryId } : {}),
  });
}

/** Runs a SELECT and returns its rows. Build every literal in `query` with the escape helpers. */
export async function queryRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

/** Runs a statement that returns no rows (DDL, ALTER, ...). */
export async function command(client: ClickHouseClient, query: string): Promise<void> {
  await client.command({ query });
}
