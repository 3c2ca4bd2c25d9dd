import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';

/**
 * Names the sink's writes with query_ids: those of one Kafka partition under one prefix (per database,
 * topic and partition), and the INSERTs of rows with one id per table. ClickHouse runs at most one
 * query of a given id at a time, which is what makes the sink's INSERTs into a table mutually
 * exclusive (insert-unstored.ts, joined-inserts.ts) and a partition's folds too (rollup-deriver.ts).
 */
export class PartitionWrites {
  private database: Promise<string> | null = null;

  constructor(private readonly ch: ClickHouseClient) {}

  /** The query_id prefix of one partition's writes (per database: test suites share a server). */
  async prefix(topic: string, partition: number): Promise<string> {
    return `edusage-sink|${await this.currentDatabase()}|${topic}|${partition}|`;
  }

  /**
   * The query_id of every INSERT of rows into `table`, whichever partitions they carry and whichever
   * worker sends them (one INSERT per table at a time: joined-inserts.ts).
   */
  async tableInsertId(table: string): Promise<string> {
    return `edusage-sink|${await this.currentDatabase()}|table|${table}|insert`;
  }

  private async currentDatabase(): Promise<string> {
    this.database ??= queryRows<{ db: string }>(this.ch, 'SELECT currentDatabase() AS db').then((r) => r[0]?.db ?? '');
    return this.database.catch((err: unknown) => {
      this.database = null;
      throw err;
    });
  }

  /** The query_id of one kind of write of the partition (ClickHouse refuses a second one while it runs). */
  async queryId(topic: string, partition: number, step: string): Promise<string> {
    return `${await this.prefix(topic, partition)}${step}`;
  }
}
