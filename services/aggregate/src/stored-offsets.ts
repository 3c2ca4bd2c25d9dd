import { queryRows, sqlIdentifier, sqlNumber, type ClickHouseClient } from '@edusage/clickhouse';
import { partitionIs } from './partition-sql';

/**
 * The offsets of one Kafka partition, at or above `fromOffset`, that are already stored in `table`
 * (a table with kafka_topic/kafka_partition/kafka_offset ordered first, so this is a primary-key range
 * read), each with the value of `identityColumn` stored there.
 */
export async function storedOffsetsFrom(
  ch: ClickHouseClient,
  table: string,
  identityColumn: string,
  topic: string,
  partition: number,
  fromOffset: string,
): Promise<Map<string, string>> {
  const rows = await queryRows<{ o: string; id: string }>(
    ch,
    `SELECT toString(kafka_offset) AS o, any(${sqlIdentifier(identityColumn)}) AS id FROM ${sqlIdentifier(table)}
     WHERE ${partitionIs(topic, partition)}
       AND kafka_offset >= ${sqlNumber(BigInt(fromOffset))}
     GROUP BY kafka_offset`,
  );
  return new Map(rows.map((r) => [r.o, r.id]));
}
