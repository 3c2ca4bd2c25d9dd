import { execFileSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { baseConfigSchema, loadConfig, topicNames, type BaseConfig } from '@edusage/config';
import {
  REPO_ROOT,
  SAMPLE_PSEUDONYM_KEY,
  WORKER_MALLOC_ENV,
  WORKER_NODE_ARGS,
  assertStackReachable,
  envAssignments,
  type ProcessName,
  type ReplicatedService,
} from '@edusage/demo';
import { createKafka, type Kafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import type { Options } from './options';
import { loadAverage } from './proc';
import { MiB, TARGETS, fmt2, fmtMs, say } from './report';

/** The load's district, and the probes' own district (found by primary-key prefix, never in the load's counts). */
export const DISTRICT = 'd1';
export const PROBE_DISTRICT = 'bench-probe';
export const SERVICES = ['ingest', 'enrich', 'aggregate'] as const;

/** Services that run as several members of one consumer group with `--replicas`. */
export const REPLICATED: readonly ReplicatedService[] = ['enrich', 'aggregate'];

/** The further replicas a run starts besides the three services: enrich#2, aggregate#2, … */
export function replicaProcesses(replicas: number): ProcessName[] {
  const out: ProcessName[] = [];
  for (let n = 2; n <= replicas; n++) for (const name of REPLICATED) out.push(`${name}#${n}`);
  return out;
}

/** Every service process of a run. */
export function serviceProcesses(replicas: number): ProcessName[] {
  return [...SERVICES, ...replicaProcesses(replicas)];
}

/** The names among `names` that are processes of `service`: itself and its replicas (`enrich#2`, …). */
export function membersOf<T extends string>(names: readonly T[], service: string): T[] {
  return names.filter((p) => p === service || p.startsWith(`${service}#`));
}
export const STACK = ['kafka', 'clickhouse', 'redis'] as const;

export interface Machine {
  cpus: number;
  cpuModel: string;
  memTotalMiB: number;
  node: string;
  loadAverageAtStart: number[];
}

/** What every phase shares: the options, the services' environment and the Kafka client. */
export interface BenchContext {
  opts: Options;
  startedAt: Date;
  /** Names this run's result file and its probes' event ids. */
  runId: string;
  commit: string;
  machine: Machine;
  /** `.local/bench/<namespace>`: generated data and service logs. */
  workDir: string;
  env: Record<string, string>;
  config: BaseConfig;
  topics: ReturnType<typeof topicNames>;
  kafka: Kafka;
  enrichGroupId: string;
  aggregateGroupId: string;
  /** The aggregate's (its first process's) Prometheus metrics. */
  aggregateMetricsUrl: string;
}

/** The services' environment: a database, topics, Redis prefix and consumer groups of the run's namespace. */
function benchEnv(opts: Options, aggregatePort: number): Record<string, string> {
  const ns = opts.namespace;
  return {
    ...(process.env as Record<string, string>),
    CLICKHOUSE_DATABASE: `edusage_${ns}`,
    KAFKA_TOPIC_PREFIX: `${ns}.`,
    REDIS_KEY_PREFIX: `edusage-${ns}:`,
    ENRICH_GROUP_ID: `${ns}-enrich`,
    AGGREGATE_GROUP_ID: `${ns}-aggregate`,
    PSEUDONYM_KEY: process.env.PSEUDONYM_KEY ?? SAMPLE_PSEUDONYM_KEY,
    DISTRICT_TIMEZONES: `${DISTRICT}=America/Chicago,${PROBE_DISTRICT}=UTC`,
    INGEST_PORT: String(opts.port),
    // The aggregate's /metrics are read at each phase's start and end (`aggregate-timings.ts`).
    AGGREGATE_HTTP_PORT: String(aggregatePort),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
}

/** Checks that Kafka and ClickHouse answer, then prints the run's header (commit, machine, targets). */
export async function openBench(opts: Options): Promise<BenchContext> {
  const startedAt = new Date();
  const aggregatePort = await loopbackPort();
  const env = benchEnv(opts, aggregatePort);
  const config = loadConfig(baseConfigSchema, env);
  if (opts.replicas > config.KAFKA_PARTITIONS) {
    throw new Error(
      `--replicas ${opts.replicas} is more than the ${config.KAFKA_PARTITIONS} partitions a topic has (KAFKA_PARTITIONS): the extra members would get none`,
    );
  }
  const kafka = createKafka(config, createLogger('bench', 'warn'));
  await assertStackReachable(kafka, config);

  const machine: Machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memTotalMiB: Math.round(os.totalmem() / MiB),
    node: process.version,
    loadAverageAtStart: loadAverage(),
  };
  const commit = gitCommit();
  say(`edusage benchmark ${startedAt.toISOString()} · commit ${commit} · ${machine.cpus} cores (${machine.cpuModel})`);
  say(
    `load average at start: ${machine.loadAverageAtStart.map(fmt2).join(' ')} (other work on this machine shares the cores)`,
  );
  say(
    opts.v8Defaults
      ? "workers: V8's and glibc's defaults (--v8-defaults), not their lean heap"
      : `workers: lean heap (node ${WORKER_NODE_ARGS.join(' ')}, ${envAssignments(WORKER_MALLOC_ENV)})`,
  );
  say(
    `targets: sustained ≥ ${TARGETS.sustainedVsBareKafka} × bare kafkajs, ClickHouse ≤ ${TARGETS.clickhouseCpuPer10k} CPU-s per 10k events, p99 ingest→queryable ≤ ${fmtMs(TARGETS.p99IngestToQueryableMs)} at ${TARGETS.pacedShareOfSustained * 100} % of the sustained rate, ≤ ${TARGETS.rssPerWorkerBytes / MiB} MiB RSS per worker, report queries p95 ≤ ${TARGETS.queryP95Ms} ms, aggregate ≥ ClickHouse's Kafka engine`,
  );
  return {
    opts,
    startedAt,
    runId: startedAt.toISOString().replace(/[-:.]/g, '').slice(0, 15),
    commit,
    machine,
    workDir: path.join(REPO_ROOT, '.local', 'bench', opts.namespace),
    env,
    config,
    topics: topicNames(config.KAFKA_TOPIC_PREFIX),
    kafka,
    enrichGroupId: env.ENRICH_GROUP_ID!,
    aggregateGroupId: env.AGGREGATE_GROUP_ID!,
    aggregateMetricsUrl: `http://127.0.0.1:${aggregatePort}/metrics`,
  };
}

/** A loopback port free a moment ago (the kernel's choice). */
async function loopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}
