import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { sqlIdentifier, sqlNumber, tsvLine, type ClickHouseClient } from '@edusage/clickhouse';
import { partitionIs } from './partition-sql';

/** Where the rows of one INSERT come from: one Kafka partition. */
export interface PartitionRows {
  topic: string;
  partition: number;
  /** Rows with kafka_topic/kafka_partition/kafka_offset and the other `columns`. */
  rows: readonly { readonly kafka_offset: string; readonly [column: string]: unknown }[];
  /** A further condition the rows must meet to be stored (`TopicHandler.storeOnly`). */
  storeOnly?: string;
}

/** Rows per slice of an INSERT's streamed body. */
const BODY_SLICE_ROWS = 500;

// The external-data structure parameter is split on blanks and commas, so a type spelled with them
// (Enum8('a' = 1, ...)) travels as String; the INSERT ... SELECT converts it to the column's type.
const structureType = (type: string) => (/[\s,]/.test(type) ? 'String' : type);

/**
 * Stores the rows whose Kafka offset is not stored yet, and only those: one
 * `INSERT INTO table SELECT … FROM rows WHERE kafka_offset NOT IN (<stored offsets of that range>)`
 * whose rows travel as HTTP external data in TabSeparated (ClickHouse 18.16 has no input()), decided by the server
 * when it runs the statement. With `queryId` the same for every INSERT of the partition, ClickHouse
 * runs at most one of them at a time (it refuses a query whose id is running: code 216), so an INSERT
 * whose response was lost, or one sent by a worker that has since lost the partition, can land at any
 * time later and still never store an offset twice (docs/ARCHITECTURE.md "Delivery guarantees").
 */
export async function insertUnstored(
  ch: ClickHouseClient,
  table: string,
  columns: Record<string, string>,
  batch: PartitionRows,
  queryId: string,
): Promise<void> {
  if (batch.rows.length === 0) return;
  const offsets = batch.rows.map((r) => BigInt(r.kafka_offset));
  const low = offsets.reduce((a, b) => (b < a ? b : a));
  const high = offsets.reduce((a, b) => (b > a ? b : a));
  const columnNames = Object.keys(columns);
  const names = columnNames.map(sqlIdentifier).join(', ');
  const at = partitionIs(batch.topic, batch.partition);
  const query = `INSERT INTO ${sqlIdentifier(table)} (${names})
    SELECT ${names} FROM sink_rows
    WHERE ${at}${batch.storeOnly ? ` AND ${batch.storeOnly}` : ''} AND kafka_offset NOT IN (
      SELECT kafka_offset FROM ${sqlIdentifier(table)}
      WHERE ${at} AND kafka_offset >= ${sqlNumber(low)} AND kafka_offset <= ${sqlNumber(high)})`;
  const boundary = `edusage-sink-${randomUUID()}`;
  // Written before anything is sent, in slices of BODY_SLICE_ROWS, never joined into one string: a
  // value TabSeparated cannot carry throws its TsvValueError here (isClickHouseDataError treats it as
  // the rows' fault), not in the middle of a request.
  const slices: Buffer[] = [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="sink_rows"; filename="sink_rows"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
  ];
  for (let i = 0; i < batch.rows.length; i += BODY_SLICE_ROWS) {
    let slice = '';
    for (const row of batch.rows.slice(i, i + BODY_SLICE_ROWS)) slice += tsvLine(row, columnNames);
    slices.push(Buffer.from(slice));
  }
  slices.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  const structure = Object.entries(columns)
    .map(([name, type]) => `${name} ${structureType(type)}`)
    .join(', ');
  const result = await ch.exec({
    query,
    values: Readable.from(slices),
    query_id: queryId,
    // External-data parameters ride along with the settings in the URL.
    clickhouse_settings: { sink_rows_structure: structure, sink_rows_format: 'TabSeparated' } as never,
    http_headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
  });
  for await (const chunk of result.stream) void chunk; // drain: frees the connection
}
