/**
 * Prints what the duplicate claims (src/dedup.ts) cost on the configured ClickHouse: bytes per claim on
 * disk and in memory, and the rows read and time of one batch's lookup against a partition holding a
 * day's volume. Not a test: figures for docs/ARCHITECTURE.md "Duplicate events".
 *
 *   node services/aggregate/dist/dedup-bench.js [--claims 1000000] [--batch 2500] [--batches 10]
 *
 * Works in its own database (edusage_dedup_bench, dropped at the end).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  command,
  createClickHouse,
  dropDatabase,
  ensureDatabase,
  queryRows,
  runMigrations,
  sqlNumber,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import { claimEvents, type Claim } from './dedup';
import { loadAggregateConfig } from './config';

const TOPIC = 'bench.usage.enriched';
const DAY = '2026-10-01';

/** The client, recording the text of every SELECT it is asked to run (the lookups of `claimEvents`). */
function recordingClient(ch: ClickHouseClient, selects: string[]): ClickHouseClient {
  const query = ch.query.bind(ch);
  return Object.assign(Object.create(ch) as ClickHouseClient, {
    query: (params: Parameters<ClickHouseClient['query']>[0]) => {
      selects.push(params.query);
      return query(params);
    },
  });
}

/** Rows and bytes the server reads for `sql`, and its own time (FORMAT JSON's statistics). */
async function statistics(
  ch: ClickHouseClient,
  sql: string,
): Promise<{ rows_read: number; bytes_read: number; elapsed: number }> {
  const result = await ch.query({ query: sql, format: 'JSON' });
  return ((await result.json()) as { statistics: { rows_read: number; bytes_read: number; elapsed: number } })
    .statistics;
}

const hex = (v: string) => BigInt(v).toString(16).padStart(16, '0');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    // `pnpm … bench:dedup -- --claims N` passes the "--" along.
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      claims: { type: 'string', default: '1000000' },
      batch: { type: 'string', default: '2500' },
      batches: { type: 'string', default: '10' },
    },
  });
  const claims = Number(values.claims);
  const batchSize = Number(values.batch);
  const batches = Number(values.batches);
  const config = { ...loadAggregateConfig(), CLICKHOUSE_DATABASE: 'edusage_dedup_bench' };
  await ensureDatabase(config);
  const ch = createClickHouse(config);
  try {
    await runMigrations(ch, path.resolve(__dirname, '..', '..', '..', 'infra', 'clickhouse'));
    await command(ch, 'TRUNCATE TABLE event_claims');
    // A day's claims of one partition, keys as random as real HMAC digests.
    await command(
      ch,
      `INSERT INTO event_claims (kafka_topic, kafka_partition, local_date, key_hi, key_lo, owner_offset)
       SELECT '${TOPIC}', 0, toDate('${DAY}'), sipHash64(number), sipHash64(number + ${sqlNumber(claims)}), number
       FROM numbers(${sqlNumber(claims)})`,
    );
    await command(ch, 'OPTIMIZE TABLE event_claims FINAL');
    const [parts] = await queryRows<Record<string, string>>(
      ch,
      `SELECT sum(rows) AS rows, sum(bytes_on_disk) AS disk, sum(data_uncompressed_bytes) AS raw,
              sum(primary_key_bytes_in_memory) AS pk
       FROM system.parts WHERE database = currentDatabase() AND table = 'event_claims' AND active`,
    );
    const rows = Number(parts!.rows);
    const perClaim = (k: string) => (Number(parts![k]) / rows).toFixed(3);
    console.log(`claims stored (one partition, one day): ${rows}`);
    console.log(
      `bytes per claim: on disk ${perClaim('disk')}, uncompressed ${perClaim('raw')}, in memory (primary index) ${perClaim('pk')}`,
    );

    const times: number[] = [];
    const reads: { rows_read: number; bytes_read: number; elapsed: number }[] = [];
    let nextOffset = BigInt(claims);
    for (let b = 0; b < batches; b++) {
      // Half the batch re-sends stored events (duplicates), half is new.
      const known = await queryRows<{ hi: string; lo: string }>(
        ch,
        `SELECT toString(key_hi) AS hi, toString(key_lo) AS lo FROM event_claims
         WHERE owner_offset < ${sqlNumber(claims)} AND rand() % ${sqlNumber(Math.max(1, Math.floor((2 * claims) / batchSize)))} = 0
         LIMIT ${sqlNumber(Math.floor(batchSize / 2))}`,
      );
      const batch: Claim[] = known.map((k) => ({
        key: hex(k.hi) + hex(k.lo),
        localDate: DAY,
        offset: String(nextOffset++),
      }));
      while (batch.length < batchSize) {
        const key = [0, 1, 2, 3]
          .map(() =>
            Math.floor(Math.random() * 2 ** 32)
              .toString(16)
              .padStart(8, '0'),
          )
          .join('');
        batch.push({ key, localDate: DAY, offset: String(nextOffset++) });
      }
      const selects: string[] = [];
      const started = process.hrtime.bigint();
      const owned = await claimEvents(recordingClient(ch, selects), TOPIC, 0, batch);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      // The same lookup again, for the server's own figures (it now also finds this batch's new claims).
      for (const sql of selects) reads.push(await statistics(ch, sql));
      const duplicates = owned.filter((o) => !o).length;
      if (duplicates !== known.length) throw new Error(`expected ${known.length} duplicates, found ${duplicates}`);
    }
    console.log(
      `lookup + claim of a batch of ${batchSize} (half duplicates) against ${rows} claims: ` +
        `median ${median(times).toFixed(1)} ms end to end (max ${Math.max(...times).toFixed(1)} ms; lookup + INSERT of the new claims); ` +
        `the lookup query: median ${(1000 * median(reads.map((r) => r.elapsed))).toFixed(1)} ms on the server, ` +
        `rows read ${median(reads.map((r) => r.rows_read))}, bytes read ${median(reads.map((r) => r.bytes_read))}`,
    );
  } finally {
    await ch.close();
    await dropDatabase(config);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
