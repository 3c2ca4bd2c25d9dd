import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { sqlIdentifier, sqlNumber, sqlString, tsvLine, type ClickHouseClient } from '@edusage/clickhouse';

/** The rows of one Kafka partition for an INSERT (which may carry several partitions' rows). */
export interface PartitionRows {
  topic: string;
  partition: number;
  /** Rows with kafka_topic/kafka_partition/kafka_offset and the other `columns`. */
  rows: readonly { readonly kafka_offset: string; readonly [column: string]: unknown }[];
  /** A further condition the rows must meet to be stored (`TopicHandler.storeOnly`). */
  storeOnly?: string;
}

/**
 * The statement of `insertUnstored`: the rows of `sink_rows` (the external data) of the batches'
 * partitions whose offsets `table` does not hold yet in each batch's range of offsets.
 */
export function unstoredInsertSql(
  table: string,
  columnNames: readonly string[],
  batches: readonly PartitionRows[],
): string {
  const first = batches[0];
  if (!first) throw new Error('an INSERT needs rows');
  const names = columnNames.map(sqlIdentifier).join(', ');
  const partitions = batches.map((b) => sqlNumber(b.partition)).join(', ');
  const ranges = batches.map((b) => {
    const offsets = b.rows.map((r) => BigInt(r.kafka_offset));
    const low = offsets.reduce((x, y) => (y < x ? y : x));
    const high = offsets.reduce((x, y) => (y > x ? y : x));
    return `(kafka_partition = ${sqlNumber(b.partition)} AND kafka_offset >= ${sqlNumber(low)} AND kafka_offset <= ${sqlNumber(high)})`;
  });
  const topicIs = `kafka_topic = ${sqlString(first.topic)}`;
  return `INSERT INTO ${sqlIdentifier(table)} (${names})
    SELECT ${names} FROM sink_rows
    WHERE ${topicIs} AND kafka_partition IN (${partitions})${first.storeOnly ? ` AND ${first.storeOnly}` : ''}
      AND (kafka_partition, kafka_offset) NOT IN (
        SELECT kafka_partition, kafka_offset FROM ${sqlIdentifier(table)}
        WHERE ${topicIs} AND (${ranges.join(' OR ')}))`;
}

/** Rows per slice of an INSERT's streamed body. */
const BODY_SLICE_ROWS = 500;

// The external-data structure parameter is split on blanks and commas, so a type spelled with them
// (Enum8('a' = 1, ...)) travels as String; the INSERT ... SELECT converts it to the column's type.
const structureType = (type: string) => (/[\s,]/.test(type) ? 'String' : type);

/**
 * Stores the rows whose Kafka offset is not stored yet, and only those, for one or several partitions
 * of one topic: one `INSERT INTO table SELECT … FROM rows WHERE (kafka_partition, kafka_offset) NOT IN
 * (<stored offsets of each batch's range>)` whose rows travel as HTTP external data in TabSeparated
 * (ClickHouse 18.16 has no input()), decided by the server when it runs the statement. With `queryId`
 * the same for every INSERT into the table, ClickHouse runs at most one of them at a time (it refuses a
 * query whose id is running: code 216), so an INSERT whose response was lost, or one sent by a worker
 * that has since lost a partition, can land at any time later and still never store an offset twice
 * (docs/ARCHITECTURE.md "Delivery guarantees"). The batches must be of different partitions: the
 * statement does not compare its own rows with each other (`JoinedInserts` never joins two of one).
 */
export async function insertUnstored(
  ch: ClickHouseClient,
  table: string,
  columns: Record<string, string>,
  batches: readonly PartitionRows[],
  queryId: string,
): Promise<void> {
  const sending = batches.filter((b) => b.rows.length > 0);
  if (sending.length === 0) return;
  const columnNames = Object.keys(columns);
  const query = unstoredInsertSql(table, columnNames, sending);
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
  for (const batch of sending) {
    for (let i = 0; i < batch.rows.length; i += BODY_SLICE_ROWS) {
      let slice = '';
      for (const row of batch.rows.slice(i, i + BODY_SLICE_ROWS)) slice += tsvLine(row, columnNames);
      slices.push(Buffer.from(slice));
    }
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
