/**
 * `pnpm bench` end to end, small, on the real stack: every phase runs, the summary has a verdict for
 * every target, and what the benchmark stored is what it sent, each event once (checked in ClickHouse
 * here, not taken from the benchmark's own counters). It measures nothing: the figures of so small a
 * run mean little, and speed is never a test's verdict (docs/BENCHMARKS.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import { createClickHouse, dropDatabase, queryRows } from '@edusage/clickhouse';
import { resetSampleData } from '@edusage/demo';
import { createKafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { freePort, repoRoot } from '@edusage/testkit';

const MAIN = path.join(repoRoot(), 'packages', 'bench', 'dist', 'main.js');
const namespace = `bench_smoke_${randomBytes(3).toString('hex')}`;
const outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
const config = loadConfig(baseConfigSchema, {
  ...process.env,
  CLICKHOUSE_DATABASE: `edusage_${namespace}`,
  KAFKA_TOPIC_PREFIX: `${namespace}.`,
  REDIS_KEY_PREFIX: `edusage-${namespace}:`,
});

interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

let child: ChildProcess | undefined;

async function runBench(args: string[]): Promise<RunOutput> {
  const bench = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, LOG_LEVEL: 'warn' } });
  child = bench;
  let stdout = '';
  let stderr = '';
  bench.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  bench.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': the output is complete only once the pipes have closed.
  const code = await new Promise<number | null>((resolve) => bench.on('close', resolve));
  return { code, stdout, stderr };
}

let run: RunOutput;
let result: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the JSON result as written

beforeAll(async () => {
  run = await runBench([
    ...['--events', '3000', '--batch-size', '250', '--latency-seconds', '3', '--latency-rate', '1000'],
    ...['--query-runs', '1', '--namespace', namespace, '--port', String(await freePort()), '--out', outDir],
  ]);
  const files = readdirSync(outDir).filter((f) => f.endsWith('.json'));
  if (files.length === 1) result = JSON.parse(readFileSync(path.join(outDir, files[0]!), 'utf8'));
}, 240_000);

afterAll(async () => {
  // Still running (beforeAll timed out): SIGTERM, on which it stops the services it started.
  if (child && child.exitCode === null && child.signalCode === null) {
    const closed = new Promise((resolve) => child!.once('close', resolve));
    child.kill('SIGTERM');
    await closed;
  }
  for (const suffix of ['_race', '_bare']) {
    await dropDatabase({ ...config, CLICKHOUSE_DATABASE: `${config.CLICKHOUSE_DATABASE}${suffix}` }).catch(
      () => undefined,
    );
  }
  const kafka = createKafka(config, createLogger('bench-smoke', 'warn'));
  await resetSampleData(kafka, config, {
    extraTopics: [`${namespace}.bare`],
    groupIds: [`${namespace}-enrich`, `${namespace}-aggregate`],
  });
  rmSync(outDir, { recursive: true, force: true });
  rmSync(path.join(repoRoot(), '.local', 'bench', namespace), { recursive: true, force: true });
}, 60_000);

/** Each later test first: the run ended well (else its output, once, in the first test's failure). */
const ranWell = () => run?.code === 0 && result !== undefined;

test('runs every phase and writes one JSON result', () => {
  if (run.code !== 0) throw new Error(`bench exited ${run.code}:\n${run.stderr}\n${run.stdout.slice(-3000)}`);
  expect(result).toBeDefined();
  for (const phase of ['throughput', 'paced', 'memory', 'sink', 'queries', 'peer', 'bare']) {
    expect(result).toHaveProperty(phase);
  }
  expect(result.options.namespace).toBe(namespace);
  expect(result.setup.database).toBe(`edusage_${namespace}`);
});

test('the summary gives a verdict for every target, with figures', () => {
  expect(ranWell()).toBe(true);
  const summary = run.stdout.slice(run.stdout.indexOf('== summary =='));
  for (const row of [
    'sustained end to end (events/s)',
    'ClickHouse CPU-s per 10k events, saturated',
    'ClickHouse CPU-s per 10k events, paced',
    'p99 ingest→queryable at 1,000/s',
    'peak RSS ingest (MiB)',
    'peak RSS enrich (MiB)',
    'peak RSS aggregate (MiB)',
    'slowest report query p95',
    "aggregate ÷ ClickHouse's Kafka engine",
  ]) {
    const line = summary.split('\n').find((l) => l.startsWith(row));
    expect([row, line && /\b(MET|NOT MET)\b/.test(line)]).toEqual([row, true]);
  }
  expect(run.stdout).not.toMatch(/NaN|undefined/);
});

test('stores every event it sent once, in the throughput and the paced phase', async () => {
  expect(ranWell()).toBe(true);
  expect(result.throughput.rejected).toBe(0);
  // The paced phase sends exactly rate × seconds events (its last body cut to fit).
  expect(result.paced.events).toBe(3000);
  const ch = createClickHouse(config);
  try {
    const [stored] = await queryRows<{ events: string; distinct: string }>(
      ch,
      "SELECT count() AS events, uniqExact(event_id) AS distinct FROM usage_events WHERE district_id = 'd1'",
    );
    expect(Number(stored!.events)).toBe(result.throughput.events + result.paced.events);
    expect(Number(stored!.distinct)).toBe(Number(stored!.events));
  } finally {
    await ch.close();
  }
});

test('finds every probe seen in ClickHouse on usage.raw and usage.enriched, to split its latency', () => {
  expect(ranWell()).toBe(true);
  for (const phase of ['load', 'paced'] as const) {
    const seen = phase === 'load' ? result.throughput.latencyUnderSaturation.visible : result.paced.latency.visible;
    expect([phase, result.probeHops[phase].probes]).toEqual([phase, seen]);
  }
  expect(run.stdout).toContain("where the probes' time went");
});

test("reads the aggregate's own timings for both phases from its /metrics", () => {
  expect(ranWell()).toBe(true);
  for (const phase of [result.throughput, result.paced]) {
    // Every event of the phase (and its probes) was stored, so each was observed once at its store.
    expect(phase.aggregate.events).toBeGreaterThanOrEqual(phase.events);
    expect(phase.aggregate.stores).toBeGreaterThan(0);
    expect(phase.aggregate.folds).toBeGreaterThan(0);
    expect(phase.aggregate.ageMeanSeconds).toBeGreaterThan(0);
  }
  expect(run.stdout).toContain("the aggregate's own timing");
});

test('the peer race stores every message in both contenders, and every report query answers', async () => {
  expect(ranWell()).toBe(true);
  expect(result.peer.messages).toBeGreaterThan(result.throughput.events);
  // Ours stores what the run stored, exactly; the Kafka engine is at-least-once (a rebalance may repeat some).
  const ch = createClickHouse(config);
  try {
    const [all] = await queryRows<{ n: string }>(ch, 'SELECT count() AS n FROM usage_events');
    expect(result.peer.aggregate.rows).toBe(Number(all!.n));
  } finally {
    await ch.close();
  }
  expect(result.peer.peer.rows).toBeGreaterThanOrEqual(result.peer.messages);
  const queries = Object.values(result.queries.byQuery) as { rows: number }[];
  expect(queries.length).toBeGreaterThanOrEqual(4);
  for (const q of queries) expect(q.rows).toBeGreaterThan(0);
});
