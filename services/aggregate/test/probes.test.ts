import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { command, createClickHouse, queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { createKafka, createProducer, produceJson, type Kafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, freePort, waitFor, type TestEnv } from '@edusage/testkit';
import { PartitionWrites } from '../src/partition-writes';
import { makeEnrichedEvents } from './enriched-fixtures';

// Issue 11 finding 11: aggregate had no /healthz, /readyz or /metrics; progress was only in log lines.
// Runs the built service (dist/) on the real Kafka, ClickHouse and Redis.

const ENTRY = path.resolve(__dirname, '..', 'dist', 'main.js');

let env: TestEnv;
let kafka: Kafka;
let ch: ClickHouseClient;
let child: ChildProcess;
let log = '';
let base: string;

const get = async (p: string) => {
  const res = await fetch(`${base}${p}`);
  return { status: res.status, text: await res.text() };
};
const probe = (p: string) => get(p).catch(() => ({ status: 0, text: '' }));
const counter = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);

async function produce(seed: number, count: number): Promise<void> {
  const producer = await createProducer(kafka);
  try {
    const events = makeEnrichedEvents(count, seed, 0);
    await produceJson(
      producer,
      env.topics.enriched,
      events.map((e) => ({ key: `${e.district_id}|${e.person_id}`, value: e })),
    );
  } finally {
    await producer.disconnect();
  }
}

/**
 * Makes ClickHouse refuse every INSERT of events for up to 50 s, as while a previous owner's INSERT
 * still runs (code 216, a transient refusal: no table changed): a query that sleeps holds the query_id
 * of every INSERT into usage_events. Returns what ends it. (ClickHouse checks a query_id among one user's
 * queries; the test and the service both connect as the stack's user.)
 */
async function holdInserts(): Promise<() => Promise<void>> {
  const queryId = await new PartitionWrites(ch).tableInsertId('usage_events');
  const sleeping = ch
    .command({
      query: 'SELECT sleepEachRow(1) FROM numbers(50) FORMAT Null',
      query_id: queryId,
      clickhouse_settings: { max_block_size: '1' },
    })
    .catch(() => undefined); // ended by KILL QUERY
  await waitFor(
    () =>
      queryRows<{ n: string }>(ch, `SELECT count() AS n FROM system.processes WHERE query_id = ${sqlString(queryId)}`),
    (rows) => rows[0]?.n === '1',
    { what: "the INSERTs' query_id held" },
  );
  return async () => {
    await command(ch, `KILL QUERY WHERE query_id = ${sqlString(queryId)} SYNC`);
    await sleeping;
  };
}

beforeAll(async () => {
  env = await createTestEnv('aggregate_probes', { partitions: 1 });
  kafka = createKafka(env.config, createLogger('aggregate-probes-test', 'warn'));
  ch = createClickHouse(env.config);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [ENTRY], {
    env: {
      ...process.env,
      ...env.env,
      AGGREGATE_GROUP_ID: `aggregate-${env.config.CLICKHOUSE_DATABASE}`,
      AGGREGATE_HTTP_PORT: String(port),
      AGGREGATE_STALL_TIMEOUT_MS: '3000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-50_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  await ch?.close();
  await env?.cleanup();
});

test('ready with rows counted in /metrics; not ready while ClickHouse refuses inserts; ready again after', async () => {
  await waitFor(
    () => probe('/readyz'),
    (r) => r.status === 200,
    { timeoutMs: 60_000, what: 'aggregate ready' },
  );
  expect((await get('/healthz')).status).toBe(200);

  await produce(1, 20);
  await waitFor(
    async () => counter((await get('/metrics')).text, 'edusage_aggregate_rows_inserted_total'),
    (n) => n === 20,
    { timeoutMs: 60_000, what: '20 rows inserted in /metrics' },
  );
  // The sink's timings: each of the 20 events' age when stored, and the batches' store and fold times.
  // Observed after the rows counter moves (the fold comes after the INSERT): polled until the fold is in.
  const sample = (exposition: string, series: string) =>
    Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)`, 'm').exec(exposition)?.[1] ?? NaN);
  const ageSeries = `edusage_aggregate_event_age_at_store_seconds_count{topic="${env.topics.enriched}"}`;
  const exposition = await waitFor(
    async () => (await get('/metrics')).text,
    (text) => sample(text, 'edusage_aggregate_fold_seconds_count') >= 1 && sample(text, ageSeries) >= 20,
    { timeoutMs: 30_000, what: 'a fold and 20 ages in /metrics' },
  );
  expect(sample(exposition, ageSeries)).toBe(20);
  // Produced moments ago: no event waited a minute (the 60 s bucket holds them all; labels in any order).
  const bucket60 = exposition
    .split('\n')
    .find(
      (l) =>
        l.startsWith('edusage_aggregate_event_age_at_store_seconds_bucket{') &&
        l.includes('le="60"') &&
        l.includes(`topic="${env.topics.enriched}"`),
    );
  expect(Number(bucket60?.split(' ').pop())).toBe(20);
  expect(sample(exposition, 'edusage_aggregate_store_seconds_count')).toBeGreaterThanOrEqual(1);
  expect(sample(exposition, 'edusage_aggregate_store_seconds_sum')).toBeGreaterThan(0);

  // Every insert of the partition is refused and retried, the batch never finishes.
  const release = await holdInserts();
  try {
    await produce(2, 20);
    const notReady = await waitFor(
      () => probe('/readyz'),
      (r) => r.status === 503,
      { timeoutMs: 40_000, what: 'aggregate /readyz 503 while stalled' },
    );
    expect(notReady.text).toMatch(/batch has been running|no batch finished/);
    // The first refused INSERT may still be on its way when readiness turns (a busy machine): its retry follows.
    await waitFor(
      async () => counter((await get('/metrics')).text, 'edusage_aggregate_retries_total'),
      (n) => n > 0,
      { timeoutMs: 30_000, what: 'a retry counted in /metrics' },
    );
    expect((await get('/metrics')).text).toMatch(/edusage_consumer_ready\{[^}]*\} 0\b/);
    expect((await get('/healthz')).status).toBe(200); // alive, just not ready
  } finally {
    await release();
  }
  await waitFor(
    () => probe('/readyz'),
    (r) => r.status === 200,
    { timeoutMs: 90_000, what: 'ready again' },
  );
  await waitFor(
    async () => counter((await get('/metrics')).text, 'edusage_aggregate_rows_inserted_total'),
    (n) => n === 40,
    { timeoutMs: 60_000, what: '40 rows inserted in /metrics' },
  );
}, 240_000);

test('SIGTERM during a back-off wait between retries: the stop does not sit it out, and exits 0', async () => {
  const retries = async () => counter((await get('/metrics')).text, 'edusage_aggregate_retries_total');
  const before = await retries();
  const release = await holdInserts();
  try {
    await produce(3, 5);
    // The seventh retry's wait is 15 s (the cap; 250 ms × 2⁶ is more) ± 25 %: 11–19 s, of which the poll
    // below spends < 0.5 s; the stop's own work (leaving the group, closing clients) gets the rest of 8 s
    // even on a busy machine, and sitting the wait out would take more.
    await waitFor(retries, (n) => n >= before + 7, { timeoutMs: 60_000, intervalMs: 100, what: 'seven more retries' });
    const exited = once(child, 'exit') as Promise<[number | null]>;
    const signalled = Date.now();
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(8_000);
  } finally {
    await release();
  }
}, 120_000);
