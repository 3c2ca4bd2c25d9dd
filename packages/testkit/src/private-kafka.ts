import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createKafka, kafkaHealth } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { freePort } from './private-clickhouse';
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

/**
 * Starts Kafka in KRaft combined mode (broker + controller in one JVM) the way infra/local/stack does:
 * its server.properties template rendered on free loopback ports, storage formatted as a standalone
 * controller, then `kafka.Kafka`. Lets a test stop "the event log" without touching the shared broker.
 * Needs `java` and the jars of `infra/local/stack install`.
 */
export async function startPrivateKafka(opts: { startTimeoutMs?: number; heap?: string } = {}): Promise<PrivateKafka> {
  const lib = kafkaLibDir();
  if (!existsSync(lib))
    throw new Error(`Kafka jars not found in ${lib}; run infra/local/stack install (or set KAFKA_LIB_DIR)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-kafka-'));
  mkdirSync(path.join(dir, 'data'));
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const kafkaHome = path.join(repoRoot(), 'infra', 'kafka');
  const props = path.join(dir, 'server.properties');
  writeFileSync(
    props,
    readFileSync(path.join(kafkaHome, 'server.properties.template'), 'utf8')
      .replaceAll('@KAFKA_PORT@', String(port))
      .replaceAll('@KAFKA_CONTROLLER_PORT@', String(controllerPort))
      .replaceAll('@KAFKA_DATA_DIR@', path.join(dir, 'data')) +
      // A test's broker: few threads, quick group joins.
      '\nnum.network.threads=1\nnum.io.threads=2\n',
  );
  const classpath = path.join(lib, '*');
  const cliLog = `-Dlog4j2.configurationFile=${path.join(kafkaHome, 'log4j2-cli.properties')}`;
  await promisify(execFile)(
    'java',
    [
      '-Xmx128m',
      '-XX:TieredStopAtLevel=1',
      cliLog,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId(),
      '-c',
      props,
      '--standalone',
    ],
    { timeout: 120_000 },
  );

  const startTimeoutMs = opts.startTimeoutMs ?? 120_000;
  const kafka = createKafka(
    { KAFKA_BROKERS: [`127.0.0.1:${port}`], KAFKA_CLIENT_ID: 'testkit-private-kafka' },
    createLogger('testkit', 'error'),
  );
  const server = superviseServer({
    name: 'private Kafka',
    dir,
    logFile: path.join(dir, 'kafka.log'),
    command: 'java',
    args: [
      '-Xms128m',
      `-Xmx${opts.heap ?? '384m'}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${path.join(kafkaHome, 'log4j2.properties')}`,
      `-Dkafka.logs.dir=${dir}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      props,
    ],
    ready: () => kafkaHealth(kafka),
    startTimeoutMs,
    pollMs: 500,
    killAfterMs: 60_000,
  });

  await server.start();
  return {
    brokers: `127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return server.pid;
    },
    start: server.start,
    stop: server.stop,
    cleanup: server.cleanup,
  };
}
