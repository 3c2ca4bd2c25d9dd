/**
 * Exports a research table, or any SELECT over the research database (a report), as CSV or Parquet.
 * Rows are streamed from ClickHouse as JSONEachRow (18.16 has no Parquet output) and written one at a
 * time, so memory stays bounded whatever the size. Run it with the researcher's credentials and the
 * server enforces read-only access.
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import { queryRows, sqlIdentifier } from '@edusage/clickhouse';
import { RESEARCH_TABLES } from '../schema';
import { describeQuery, describeTable, type ExportColumn } from './columns';
import { csvSink, parquetSink, ROW_GROUP_ROWS, type RowSink } from './sinks';

export type ExportFormat = 'csv' | 'parquet';

export type ExportSource = { table: string } | { query: string };

export interface ExportResult {
  rows: number;
  columns: ExportColumn[];
}

/**
 * The session's `readonly` setting ('0' = it may write). system.settings, not getSetting(): ClickHouse
 * 18.16 has no getSetting.
 */
export async function readonlySetting(ch: ClickHouseClient): Promise<string> {
  const rows = await queryRows<{ value: string }>(ch, "SELECT value FROM system.settings WHERE name = 'readonly'");
  return rows[0]?.value ?? '0';
}

/**
 * Refuses a SELECT of one's own on a session that may write: it runs as whoever runs it, and only the
 * researcher user (readonly, the research database only) is limited to what researchers may read.
 */
async function requireReadOnly(ch: ClickHouseClient): Promise<void> {
  const readonly = await readonlySetting(ch);
  if (readonly === '0') {
    throw new Error(
      `--query needs a read-only session (this one has readonly = ${readonly} and may read every database): ` +
        'run it as the researcher, CLICKHOUSE_USER=researcher CLICKHOUSE_PASSWORD=…',
    );
  }
}

async function sourceQuery(
  ch: ClickHouseClient,
  source: ExportSource,
): Promise<{ query: string; columns: ExportColumn[] }> {
  if ('table' in source) {
    if (!(RESEARCH_TABLES as readonly string[]).includes(source.table)) {
      throw new Error(`--table: ${source.table} is not a research table (${RESEARCH_TABLES.join(', ')})`);
    }
    return { query: `SELECT * FROM ${sqlIdentifier(source.table)}`, columns: await describeTable(ch, source.table) };
  }
  await requireReadOnly(ch);
  const query = source.query.trim().replace(/;\s*$/, '');
  return { query, columns: await describeQuery(ch, query) };
}

/** Streams `source` from the database `ch` is bound to into `file`. */
export async function exportResearch(
  ch: ClickHouseClient,
  source: ExportSource,
  format: ExportFormat,
  file: string,
  opts: { rowGroupRows?: number } = {},
): Promise<ExportResult> {
  const { query, columns } = await sourceQuery(ch, source);
  const sink: RowSink =
    format === 'csv' ? csvSink(columns, file) : await parquetSink(columns, file, opts.rowGroupRows ?? ROW_GROUP_ROWS);
  let rows = 0;
  try {
    const result = await ch.query({ query, format: 'JSONEachRow' });
    for await (const chunk of result.stream()) {
      for (const row of chunk as { json<T>(): T }[]) {
        await sink.write(row.json<Record<string, unknown>>());
        rows += 1;
      }
    }
  } finally {
    await sink.close();
  }
  return { rows, columns };
}
