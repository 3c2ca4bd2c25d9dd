import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createKafka, kafkaHealth } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { freePort } from './free-port';
import { repoRoot } from './paths';
import { superviseServer } from './supervised-server';

/** A single-node Kafka broker of a test's own (own ports and log directory), which the test may stop and restart. */
export interface PrivateKafka {
  /** `127.0.0.1:<port>`, for KAFKA_BROKERS. */
  readonly brokers: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | null;
  /** Starts the broker (again) on the same log directory and waits until it answers metadata requests. */
  start(): Promise<void>;
  /** SIGTERM (controlled shutdown) or SIGKILL (crash), then waits until the JVM is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  cleanup(): Promise<void>;
}

/** The Kafka jars fetched by infra/local/stack (`install`) into infra/kafka/lib; KAFKA_LIB_DIR overrides. */
export function kafkaLibDir(): string {
  return process.env.KAFKA_LIB_DIR ?? path.join(repoRoot(), 'infra', 'kafka', 'lib');
}

/** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what `StorageTool random-uuid` prints). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** One node's ports: the broker listener (clients) and the controller listener (the quorum). */
interface NodePorts {
  port: number;
  controllerPort: number;
}

async function nodePorts(taken: Set<number>): Promise<NodePorts> {
  const next = async () => {
    let p = await freePort();
    while (taken.has(p)) p = await freePort();
    taken.add(p);
    return p;
  };
  return { port: await next(), controllerPort: await next() };
}

const kafkaHome = () => path.join(repoRoot(), 'infra', 'kafka');

/** The single-node server.properties rendered on a node's ports and data directory. */
function nodeProperties(ports: NodePorts, dataDir: string): string {
  return (
    readFileSync(path.join(kafkaHome(), 'server.properties.template'), 'utf8')
      .replaceAll('@KAFKA_PORT@', String(ports.port))
      .replaceAll('@KAFKA_CONTROLLER_PORT@', String(ports.controllerPort))
      .replaceAll('@KAFKA_DATA_DIR@', dataDir) +
    // A test's broker: few threads, quick group joins.
    '\nnum.network.threads=1\nnum.io.threads=2\n'
  );
}

/** Formats a node's log directory for the cluster `id` (`--standalone`: the single node is its own quorum). */
async function formatStorage(props: string, id: string, standalone: boolean): Promise<void> {
  await promisify(execFile)(
    'java',
    [
      '-Xmx128m',
      '-XX:TieredStopAtLevel=1',
      `-Dlog4j2.configurationFile=${path.join(kafkaHome(), 'log4j2-cli.properties')}`,
      '-cp',
      path.join(kafkaLibDir(), '*'),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      id,
      '-c',
      props,
      ...(standalone ? ['--standalone'] : []),
    ],
    { timeout: 120_000 },
  );
}

/** A supervised `kafka.Kafka` JVM on `props`, ready once `brokers` answer metadata requests. */
function kafkaNode(name: string, dir: string, props: string, brokers: string[], heap: string, startTimeoutMs: number) {
  const kafka = createKafka(
    { KAFKA_BROKERS: brokers, KAFKA_CLIENT_ID: 'testkit-private-kafka' },
    createLogger('testkit', 'error'),
  );
  return superviseServer({
    name,
    dir,
    logFile: path.join(dir, 'kafka.log'),
    command: 'java',
    args: [
      '-Xms128m',
      `-Xmx${heap}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${path.join(kafkaHome(), 'log4j2.properties')}`,
      `-Dkafka.logs.dir=${dir}`,
      '-cp',
      path.join(kafkaLibDir(), '*'),
      'kafka.Kafka',
      props,
    ],
    ready: () => kafkaHealth(kafka),
    startTimeoutMs,
    pollMs: 500,
    killAfterMs: 60_000,
  });
}

function requireJars(): void {
  const lib = kafkaLibDir();
  if (!existsSync(lib))
    throw new Error(`Kafka jars not found in ${lib}; run infra/local/stack install (or set KAFKA_LIB_DIR)`);
}

/**
 * Starts Kafka in KRaft combined mode (broker + controller in one JVM) the way infra/local/stack does:
 * its server.properties template rendered on free loopback ports, storage formatted as a standalone
 * controller, then `kafka.Kafka`. Lets a test stop "the event log" without touching the shared broker.
 * Needs `java` and the jars of `infra/local/stack install`.
 */
export async function startPrivateKafka(opts: { startTimeoutMs?: number; heap?: string } = {}): Promise<PrivateKafka> {
  requireJars();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-kafka-'));
  mkdirSync(path.join(dir, 'data'));
  const ports = await nodePorts(new Set());
  const props = path.join(dir, 'server.properties');
  writeFileSync(props, nodeProperties(ports, path.join(dir, 'data')));
  await formatStorage(props, clusterId(), true);
  const brokers = `127.0.0.1:${ports.port}`;
  const server = kafkaNode('private Kafka', dir, props, [brokers], opts.heap ?? '384m', opts.startTimeoutMs ?? 120_000);
  await server.start();
  return {
    brokers,
    port: ports.port,
    dir,
    get pid() {
      return server.pid;
    },
    start: server.start,
    stop: server.stop,
    cleanup: server.cleanup,
  };
}

/** A multi-node KRaft cluster of a test's own: every node broker + controller, on loopback. */
export interface PrivateKafkaCluster {
  /** `127.0.0.1:<port>,…` of every node, for KAFKA_BROKERS. */
  readonly brokers: string;
  /** The nodes, node.id = index + 1; each can be stopped (SIGKILL = crash) and started again. */
  readonly nodes: readonly PrivateKafka[];
  /** The replication the cluster's own topics use (pass it to the services' KAFKA_* variables). */
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  cleanup(): Promise<void>;
}

/**
 * Starts `nodes` Kafka nodes (default 3) as one KRaft cluster with a static quorum, replication factor
 * `nodes` and min.insync.replicas `nodes - 1` for its internal topics (infra/kafka/cluster-node.properties.template,
 * the same overrides `STACK_KAFKA_NODES` uses in infra/local/stack). The nodes start together (a quorum
 * needs a majority) and the call returns when every node answers.
 */
export async function startPrivateKafkaCluster(
  opts: { nodes?: number; startTimeoutMs?: number; heap?: string } = {},
): Promise<PrivateKafkaCluster> {
  requireJars();
  const count = opts.nodes ?? 3;
  const replicationFactor = count;
  const minInsyncReplicas = Math.max(1, count - 1);
  const taken = new Set<number>();
  const ports: NodePorts[] = [];
  for (let i = 0; i < count; i++) ports.push(await nodePorts(taken));
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(',');
  const id = clusterId();
  const overrides = readFileSync(path.join(kafkaHome(), 'cluster-node.properties.template'), 'utf8')
    .replaceAll('@KAFKA_VOTERS@', voters)
    .replaceAll('@REPLICATION_FACTOR@', String(replicationFactor))
    .replaceAll('@MIN_INSYNC_REPLICAS@', String(minInsyncReplicas));
  const nodes: PrivateKafka[] = [];
  const servers = await Promise.all(
    ports.map(async (p, i) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), `edusage-kafka-node${i + 1}-`));
      mkdirSync(path.join(dir, 'data'));
      const props = path.join(dir, 'server.properties');
      // The static quorum replaces the single node's bootstrap server.
      const single = nodeProperties(p, path.join(dir, 'data')).replace(
        /^controller\.quorum\.bootstrap\.servers=.*$/m,
        '',
      );
      writeFileSync(props, `${single}\n${overrides.replaceAll('@NODE_ID@', String(i + 1))}`);
      await formatStorage(props, id, false);
      return { dir, props, port: p.port };
    }),
  );
  for (const [i, s] of servers.entries()) {
    const server = kafkaNode(
      `private Kafka node ${i + 1}`,
      s.dir,
      s.props,
      [`127.0.0.1:${s.port}`],
      opts.heap ?? '320m',
      opts.startTimeoutMs ?? 180_000,
    );
    nodes.push({
      brokers: `127.0.0.1:${s.port}`,
      port: s.port,
      dir: s.dir,
      get pid() {
        return server.pid;
      },
      start: server.start,
      stop: server.stop,
      cleanup: server.cleanup,
    });
  }
  // Together: a node's start waits until it answers, which needs the quorum's majority up.
  await Promise.all(nodes.map((n) => n.start()));
  return {
    brokers: nodes.map((n) => n.brokers).join(','),
    nodes,
    replicationFactor,
    minInsyncReplicas,
    async cleanup() {
      await Promise.all(nodes.map((n) => n.stop('SIGKILL').catch(() => undefined)));
      await Promise.all(nodes.map((n) => n.cleanup()));
    },
  };
}
