import { queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';

/**
 * Names every write of the sink for one Kafka partition with a query_id that starts with the same
 * prefix, so that anyone (a retry after a lost response, the partition's next owner) can wait until no
 * write of that partition is still running on the server before reading what is stored.
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

  /** A query_id for one write step of one batch (unique while it runs: ClickHouse refuses a second one). */
  async queryId(topic: string, partition: number, step: string): Promise<string> {
    return `${await this.prefix(topic, partition)}${step}`;
  }

  /**
   * Resolves once no statement of this partition's writes runs on the server (system.processes, which
   * lists a query from the moment its request is read until it has finished writing). Throws if
   * `abandon()` says to stop waiting.
   */
  async waitUntilIdle(topic: string, partition: number, abandon: () => boolean): Promise<void> {
    const prefix = await this.prefix(topic, partition);
    for (;;) {
      const [running] = await queryRows<{ n: string }>(
        this.ch,
        `SELECT toString(count()) AS n FROM system.processes
         WHERE substring(query_id, 1, ${Buffer.byteLength(prefix)}) = ${sqlString(prefix)}`,
      );
      if (running?.n === '0') return;
      if (abandon()) throw new Error('stopped waiting for running writes');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
