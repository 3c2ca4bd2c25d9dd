import path from 'node:path';
import { Command } from 'commander';
import { REPO_ROOT } from '@edusage/demo';

/** The benchmark's options; written as they are into the JSON result. */
export interface Options {
  events: number;
  out: string;
  concurrency: number;
  batchSize: number;
  probeRate: number;
  latencyRate?: number;
  latencySeconds: number;
  seed: number;
  bare: boolean;
  peer: boolean;
  queryRuns: number;
  port: number;
  profile: boolean;
  /** Log each service's memory every second (and with memoryLive, its live heap after forced GCs). */
  memory: boolean;
  memoryLive: boolean;
  /** Processes each of enrich and aggregate runs as, in one consumer group each. */
  replicas: number;
  /** The workers without their lean heap (V8's and glibc's defaults), to compare with it. */
  v8Defaults: boolean;
  /** Names the run's own database, topics, Redis keys, consumer groups and work directory. */
  namespace: string;
}

export function parseOptions(argv: string[] = process.argv): Options {
  const o = new Command()
    .name('edusage-bench')
    .description(
      'End-to-end benchmark: native NDJSON over HTTP → ingest → enrich → aggregate → ClickHouse, ' +
        'with latency probes, per-service CPU and memory, and the bare Kafka and ClickHouse limits of this machine',
    )
    .option('--events <n>', 'events sent in the throughput phase', '300000')
    .option('--out <dir>', 'where the JSON result goes', path.join(REPO_ROOT, 'bench-results'))
    .option('--concurrency <n>', 'HTTP requests in flight at once (connections)', '8')
    .option('--batch-size <n>', 'events per NDJSON request', '1000')
    .option('--probe-rate <n>', 'latency probes per second', '10')
    .option(
      '--latency-rate <n>',
      'events/s of the paced latency phase (default: 20000, or 70% of the measured sustained rate if lower)',
    )
    .option('--latency-seconds <n>', 'length of the paced latency phase (0 = skip it)', '30')
    .option('--seed <n>', 'generator seed', '42')
    .option('--no-bare', 'skip the bare Kafka and ClickHouse measurements')
    .option('--no-peer', "skip the peer race (our aggregate vs ClickHouse's Kafka engine on the same events)")
    .option('--query-runs <n>', 'timed runs of each report query after the load (0 = skip them)', '5')
    .option('--port <n>', 'ingest HTTP port', '18090')
    .option(
      '--namespace <name>',
      "names the run's database (edusage_<name>), topics (<name>.*), Redis keys, consumer groups and .local/bench/<name>; " +
        'a run empties them first, so two runs at once need different names',
      'bench',
    )
    .option('--memory', "log each service's memory every second (RSS, V8 heap, Buffers) and print the peaks")
    .option(
      '--memory-live',
      'as --memory, and force a full GC every 3 s to record the live heap (slows the services: rates not comparable)',
    )
    .option('--replicas <n>', 'processes of enrich and of aggregate each (same consumer groups)', '1')
    .option('--v8-defaults', "start the workers with V8's and glibc's defaults, not their lean heap (to compare)")
    .option(
      '--profile',
      'run the services with node --cpu-prof and summarize where their CPU time goes (adds some overhead)',
    )
    .parse(argv)
    .opts<Record<string, string | boolean | undefined>>();
  const num = (name: string, v: unknown, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  return {
    events: num('events', o.events, 1000),
    out: String(o.out),
    concurrency: num('concurrency', o.concurrency, 1),
    batchSize: num('batch-size', o.batchSize, 1),
    probeRate: num('probe-rate', o.probeRate, 0),
    ...(o.latencyRate !== undefined ? { latencyRate: num('latency-rate', o.latencyRate, 1) } : {}),
    latencySeconds: num('latency-seconds', o.latencySeconds, 0),
    seed: num('seed', o.seed, 0),
    bare: o.bare !== false,
    peer: o.peer !== false,
    queryRuns: num('query-runs', o.queryRuns, 0),
    port: num('port', o.port, 1),
    profile: o.profile === true,
    memory: o.memory === true || o.memoryLive === true,
    memoryLive: o.memoryLive === true,
    replicas: replicaCount(o.replicas),
    v8Defaults: o.v8Defaults === true,
    namespace: namespaceOf(o.namespace),
  };
}

/** Lower-case letters, digits and `_`: valid in a ClickHouse database name and a Kafka topic alike. */
function namespaceOf(v: unknown): string {
  const s = String(v);
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(s))
    throw new Error(`--namespace must be a lower-case letter then letters, digits or _ (at most 41), got ${s}`);
  return s;
}

/** A positive integer; openBench checks it against the topics' partitions (a member beyond them idles). */
function replicaCount(v: unknown): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--replicas must be a positive integer, got ${String(v)}`);
  return n;
}
