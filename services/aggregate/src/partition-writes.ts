import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';

/**
 * Names the sink's writes of one Kafka partition with query_ids under one prefix (per database, topic
 * and partition). ClickHouse runs at most one query of a given id at a time, which is what makes the
 * sink's INSERTs of one partition mutually exclusive (insert-unstored.ts).
 */
export class PartitionWrites {
  private database: Promise<string> | null = null;

  constructor(private readonly ch: ClickHouseClient) {}

  /** The query_id prefix of one partition's writes (per database: test suites share a server). */
  async prefix(topic: string, partition: number): Promise<string> {
    this.database ??= queryRows<{ db: string }>(this.ch, 'SELECT currentDatabase() AS db').then((r) => r[0]?.db ?? '');
    const db = await this.database.catch((err: unknown) => {
      this.database = null;
      throw err;
    });
    return `edusage-sink|${db}|${topic}|${partition}|`;
  }

  /** The query_id of one kind of write of the partition (ClickHouse refuses a second one while it runs). */
  async queryId(topic: string, partition: number, step: string): Promise<string> {
    return `${await this.prefix(topic, partition)}${step}`;
  }
}
