/**
 * The sink's INSERT of rows for several partitions at once (insert-unstored.ts) and the joining of
 * waiting partitions' batches into one statement (joined-inserts.ts), on the real ClickHouse 18.16
 * (external data, query_ids) and, for the statement's SQL, on a current engine.
 */
import {
  clickhouseErrorCode,
  command,
  createClickHouse,
  insertRows,
  queryRows,
  sqlString,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import { createTestEnv, onCurrentClickHouse, waitFor } from '@edusage/testkit';
import { isClickHouseDataError } from '../src/errors';
import { unstoredInsertSql, type PartitionRows } from '../src/insert-unstored';
import { JoinedInserts, type InsertRequest } from '../src/joined-inserts';
import { PartitionWrites } from '../src/partition-writes';
import { toClickHouseDateTime, usageEventRow } from '../src/rows';
import { SINK_COLUMNS } from '../src/schema-check';
import { makeEnrichedEvents } from './enriched-fixtures';

jest.setTimeout(120_000);

const TOPIC = 't';
const COLUMNS = SINK_COLUMNS.usage_events!;
const MONTH = '202610';

/** Rows of partition `partition` at offsets `from`…`from + count - 1`, all of one month. */
function batchOf(partition: number, from: number, count: number, seed = partition): PartitionRows {
  const events = makeEnrichedEvents(count * 3, seed * 1000 + from, 0)
    .filter((e) => e.local_date === '2026-10-01')
    .slice(0, count);
  if (events.length < count) throw new Error('the fixture gave too few events of the month');
  const storedAt = toClickHouseDateTime(new Date());
  return {
    topic: TOPIC,
    partition,
    rows: events.map((e, i) => {
      const row: object = usageEventRow(e, { topic: TOPIC, partition, offset: String(from + i) }, storedAt);
      return row as PartitionRows['rows'][number];
    }),
  };
}

/** Rows per (partition, offset) stored: every offset must be there exactly once. */
async function storedOffsets(ch: ClickHouseClient): Promise<{ offsets: number; rows: number; most: number }> {
  const [row] = await queryRows<{ offsets: string; rows: string; most: string }>(
    ch,
    `SELECT toString(count()) AS offsets, toString(sum(n)) AS rows, toString(max(n)) AS most FROM (
       SELECT kafka_partition, kafka_offset, count() AS n FROM usage_events
       WHERE kafka_topic = ${sqlString(TOPIC)} GROUP BY kafka_partition, kafka_offset)`,
  );
  return { offsets: Number(row?.offsets), rows: Number(row?.rows), most: Number(row?.most ?? 0) };
}

/**
 * A writer that counts the INSERT statements it sends (the test's own count, not the code's); `before`
 * hears of the n-th (1-based) before it goes, and may fail it instead.
 */
function countingInserts(
  ch: ClickHouseClient,
  before?: (n: number) => void,
): { writer: ClickHouseClient; sent: () => number } {
  let sent = 0;
  const writer = new Proxy(ch, {
    get(target, prop, receiver) {
      if (prop === 'exec')
        return async (params: Parameters<ClickHouseClient['exec']>[0]) => {
          if (/^\s*INSERT INTO/i.test(params.query)) {
            sent += 1;
            before?.(sent);
          }
          return target.exec(params);
        };
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { writer, sent: () => sent };
}

/**
 * Runs `scenario` on a fresh database of the local ClickHouse 18.16 with every migration, with a client
 * for reads and one without keep-alive for the INSERTs (as the service: 18.16 leaves a connection
 * that carried external data unusable).
 */
async function onLocalClickHouse(
  suite: string,
  scenario: (ch: ClickHouseClient, writer: ClickHouseClient) => Promise<void>,
): Promise<void> {
  const env = await createTestEnv(suite, { kafka: false });
  const ch = createClickHouse(env.config);
  const writer = createClickHouse(env.config, env.config.CLICKHOUSE_DATABASE, { keepAlive: false });
  try {
    await scenario(ch, writer);
  } finally {
    await writer.close();
    await ch.close();
    await env.cleanup();
  }
}

function joinedInserts(
  ch: ClickHouseClient,
  rowWriter: ClickHouseClient,
  sameIdRetryMs?: number,
  before?: (n: number) => void,
) {
  const stats = { inserts: 0, insertedBatches: 0 };
  const counting = countingInserts(rowWriter, before);
  const writes = new PartitionWrites(ch);
  const inserts = new JoinedInserts({
    writer: counting.writer,
    queryId: (table) => writes.tableInsertId(table),
    stats,
    abandoned: () => new Error('abandoned (the test)'),
    ...(sameIdRetryMs === undefined ? {} : { sameIdRetryMs }),
  });
  const request = (batch: PartitionRows, fenced?: () => boolean): InsertRequest => ({
    table: 'usage_events',
    columns: COLUMNS,
    month: MONTH,
    batch,
    ...(fenced ? { fenced } : {}),
  });
  return { inserts, stats, sent: counting.sent, request, writes };
}

/** Stores partition 1's offsets 0..4 beforehand, as an earlier owner would have. */
async function storeEarlier(ch: ClickHouseClient): Promise<void> {
  await insertRows(ch, 'usage_events', batchOf(1, 0, 5).rows as object[]);
}

describe('the INSERT of several partitions (its SQL)', () => {
  /** Every batch's rows end up stored once; rows stored before are not stored again. */
  async function scenario(ch: ClickHouseClient, run: (batches: PartitionRows[]) => Promise<void>): Promise<void> {
    await storeEarlier(ch);
    const batches = [batchOf(0, 0, 10), batchOf(1, 0, 10), batchOf(2, 20, 10)];
    await run(batches);
    await run(batches); // a redelivery of all of it stores nothing
    expect(await storedOffsets(ch)).toEqual({ offsets: 30, rows: 30, most: 1 });
  }

  it('stores each offset once on ClickHouse 18.16 (external data)', async () => {
    await onLocalClickHouse('joined_insert_sql', async (ch, writer) => {
      const { inserts } = joinedInserts(ch, writer);
      // Through the writer, all three at once: the first runs alone, the other two are joined.
      await scenario(ch, async (batches) => {
        await Promise.all(
          batches.map((batch) => inserts.insert({ table: 'usage_events', columns: COLUMNS, month: MONTH, batch })),
        );
      });
    });
  });

  it('stores each offset once on current ClickHouse (the same statement over a table of rows)', async () => {
    await onCurrentClickHouse('edusage_joined_insert_sql', async (ch) => {
      // chdb takes no external data: the rows wait in a table of the same name and shape instead.
      await command(ch, 'CREATE TABLE sink_rows AS usage_events');
      await scenario(ch, async (batches) => {
        await command(ch, 'TRUNCATE TABLE sink_rows');
        await insertRows(
          ch,
          'sink_rows',
          batches.flatMap((b) => b.rows as object[]),
        );
        await command(ch, unstoredInsertSql('usage_events', Object.keys(COLUMNS), batches));
      });
    });
  });
});

describe('JoinedInserts on ClickHouse 18.16', () => {
  it('joins the batches that wait while an INSERT runs, never two of one partition', async () => {
    await onLocalClickHouse('joined_inserts_join', async (ch, writer) => {
      const { inserts, stats, sent, request } = joinedInserts(ch, writer);
      await storeEarlier(ch);
      await Promise.all([
        inserts.insert(request(batchOf(0, 0, 10))), // runs alone: nothing else waits yet
        inserts.insert(request(batchOf(1, 0, 10))), // waits, then joined with partition 2's
        inserts.insert(request(batchOf(2, 0, 10))),
        // Partition 1 again, overlapping (a redelivery of 5..9 and 10..14): the statement after.
        inserts.insert(request(batchOf(1, 5, 10))),
      ]);
      expect(sent()).toBe(3);
      expect(stats).toEqual({ inserts: 3, insertedBatches: 4 });
      expect(await storedOffsets(ch)).toEqual({ offsets: 35, rows: 35, most: 1 });
    });
  });

  it('a row ClickHouse refuses fails its own batch only; the batch joined with it is stored', async () => {
    await onLocalClickHouse('joined_inserts_refused', async (ch, writer) => {
      const { inserts, sent, request } = joinedInserts(ch, writer);
      const poisoned = batchOf(1, 0, 10);
      (poisoned.rows[3] as Record<string, unknown>).occurred_at = 'not a time'; // ClickHouse cannot parse it
      const first = inserts.insert(request(batchOf(0, 0, 10)));
      const refused = inserts.insert(request(poisoned)).then(
        () => null,
        (err: unknown) => err,
      );
      const neighbour = inserts.insert(request(batchOf(2, 0, 10)));
      await Promise.all([first, neighbour]);
      const err = await refused;
      expect(err).toBeInstanceOf(Error);
      expect(isClickHouseDataError(err)).toBe(true);
      // The joined statement, then each of its two batches alone.
      expect(sent()).toBe(4);
      const byPartition = await queryRows<{ p: number; n: string }>(
        ch,
        'SELECT kafka_partition AS p, toString(count()) AS n FROM usage_events GROUP BY p ORDER BY p',
      );
      expect(byPartition.map((r) => [Number(r.p), Number(r.n)])).toEqual([
        [0, 10],
        [2, 10],
      ]);
    });
  });

  it('a joined statement lost on the way (not refused data) goes back to every batch in it, not sent again', async () => {
    await onLocalClickHouse('joined_inserts_lost', async (ch, writer) => {
      const { inserts, sent, request } = joinedInserts(ch, writer, undefined, (n) => {
        if (n === 2) throw new Error('socket hang up (the test)'); // the joined statement
      });
      const first = inserts.insert(request(batchOf(0, 0, 10)));
      const joined = [batchOf(1, 0, 10), batchOf(2, 0, 10)].map((b) =>
        inserts.insert(request(b)).then(
          () => null,
          (err: unknown) => (err as Error).message,
        ),
      );
      await first;
      expect(await Promise.all(joined)).toEqual(['socket hang up (the test)', 'socket hang up (the test)']);
      expect(sent()).toBe(2);
      // The callers' retries (persist) store them.
      await Promise.all([inserts.insert(request(batchOf(1, 0, 10))), inserts.insert(request(batchOf(2, 0, 10)))]);
      expect(await storedOffsets(ch)).toEqual({ offsets: 30, rows: 30, most: 1 });
    });
  });

  it('a batch fenced while its joined statement failed is not sent again', async () => {
    await onLocalClickHouse('joined_inserts_fenced_resend', async (ch, writer) => {
      let revoked = false;
      const { inserts, sent, request } = joinedInserts(ch, writer, undefined, (n) => {
        if (n === 2) revoked = true; // partition 2 is revoked while the joined statement runs
      });
      const poisoned = batchOf(1, 0, 10);
      (poisoned.rows[3] as Record<string, unknown>).occurred_at = 'not a time';
      const first = inserts.insert(request(batchOf(0, 0, 10)));
      const refused = inserts.insert(request(poisoned)).then(
        () => null,
        (err: unknown) => err,
      );
      const fenced = inserts.insert(request(batchOf(2, 0, 10), () => revoked)).then(
        () => null,
        (err: unknown) => (err as Error).message,
      );
      await first;
      expect(isClickHouseDataError(await refused)).toBe(true);
      expect(await fenced).toBe('abandoned (the test)');
      expect(sent()).toBe(3); // partition 0; the joined statement; partition 1 alone
      expect(await storedOffsets(ch)).toEqual({ offsets: 10, rows: 10, most: 1 });
    });
  });

  it('leaves out a batch fenced while it waited, and rejects it', async () => {
    await onLocalClickHouse('joined_inserts_fenced', async (ch, writer) => {
      const { inserts, request } = joinedInserts(ch, writer);
      let revoked = false;
      const first = inserts.insert(request(batchOf(0, 0, 10)));
      const fenced = inserts.insert(request(batchOf(1, 0, 10), () => revoked));
      revoked = true; // while partition 0's INSERT runs
      await first;
      await expect(fenced).rejects.toThrow('abandoned (the test)');
      expect(await storedOffsets(ch)).toEqual({ offsets: 10, rows: 10, most: 1 });
    });
  });

  it("waits for another worker's INSERT of the table (code 216) a short while, then leaves it to the caller", async () => {
    await onLocalClickHouse('joined_inserts_same_id', async (ch, writer) => {
      const patient = joinedInserts(ch, writer, 20_000);
      const impatient = joinedInserts(ch, writer, 200);
      const queryId = await patient.writes.tableInsertId('usage_events');
      // Another INSERT of the table runs for 3 s (a query that sleeps holds the table's query_id).
      const holding = ch.command({
        query: 'SELECT sleepEachRow(1) FROM numbers(3) FORMAT Null',
        query_id: queryId,
        clickhouse_settings: { max_block_size: '1' },
      });
      await waitFor(
        () =>
          queryRows<{ n: string }>(
            ch,
            `SELECT toString(count()) AS n FROM system.processes WHERE query_id = ${sqlString(queryId)}`,
          ),
        (rows) => rows[0]?.n === '1',
        { what: "the table's INSERT query_id held" },
      );
      const refused = await impatient.inserts.insert(impatient.request(batchOf(0, 0, 10))).then(
        () => null,
        (err: unknown) => err,
      );
      expect(clickhouseErrorCode(refused)).toBe('216');
      await patient.inserts.insert(patient.request(batchOf(0, 0, 10)));
      await holding;
      expect(await storedOffsets(ch)).toEqual({ offsets: 10, rows: 10, most: 1 });
    });
  });
});
