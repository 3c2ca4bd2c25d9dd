import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { topicNames, type BaseConfig } from '@edusage/config';
import type { WrittenFiles } from '@edusage/generator';
import type { Kafka } from '@edusage/kafka';
import { runServiceCli } from './cli-run';
import { waitUntilDrained } from './drain';
import { sendCaliperFile, sendNativeFile, type SendSummary } from './send';
import { startService, type RunningChild, type ServiceName } from './services';

/** Only for the generated sample (demo, benchmark): real deployments set their own secret PSEUDONYM_KEY. */
export const SAMPLE_PSEUDONYM_KEY = 'edusage-sample-district-key-not-for-real-data';

export const SERVICE_NAMES: readonly ServiceName[] = ['enrich', 'aggregate', 'ingest'];

/**
 * One process of the pipeline: a service by its name, or a further replica of it as `<name>#<n>`
 * (n ≥ 2), which joins the same consumer group (the benchmark's `--replicas`).
 */
export type ProcessName = ServiceName | `${ReplicatedService}#${number}`;

/**
 * The consumer-group services. Ingest and api listen on fixed ports, and jobs owns the schedulers,
 * so here they run as one process each.
 */
export type ReplicatedService = 'enrich' | 'aggregate';

/** The service a process runs. */
export const serviceOf = (name: ProcessName): ServiceName => name.split('#')[0] as ServiceName;

/**
 * The three services as child processes of this one (and the jobs service, started on demand with
 * `start('jobs')`), sharing one environment (topics, database, Redis prefix), each logging to
 * `<logDir>/<name>.log`. Tests kill and restart them through this.
 */
export class LocalPipeline {
  private readonly children = new Map<ProcessName, RunningChild>();
  private readonly logs = new Map<ProcessName, WriteStream>();

  constructor(
    readonly env: Record<string, string>,
    readonly logDir: string,
    /** Start the services with V8's and glibc's defaults instead of their own settings (startService). */
    private readonly v8Defaults = false,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  get ingestUrl(): string {
    return `http://127.0.0.1:${this.env.INGEST_PORT ?? '8080'}`;
  }

  async startAll(): Promise<void> {
    for (const name of SERVICE_NAMES) this.start(name);
    await this.waitReady();
  }

  start(name: ProcessName): RunningChild {
    if (this.children.has(name)) throw new Error(`${name} is already running`);
    let log = this.logs.get(name);
    if (!log) {
      log = createWriteStream(path.join(this.logDir, `${name}.log`), { flags: 'a' });
      this.logs.set(name, log);
    }
    const out = log;
    // Probe ports default to any free port, so parallel pipelines (tests, the demo) never collide;
    // a further replica always takes a free one, whatever port the environment names.
    const freePorts = { ENRICH_HTTP_PORT: '0', AGGREGATE_HTTP_PORT: '0', JOBS_HTTP_PORT: '0' };
    const env = name.includes('#') ? { ...this.env, ...freePorts } : { ...freePorts, ...this.env };
    const child = startService(serviceOf(name), env, {
      onLine: (line) => out.write(line + '\n'),
      v8Defaults: this.v8Defaults,
    });
    child.child.once('exit', () => {
      if (this.children.get(name) === child) this.children.delete(name);
    });
    this.children.set(name, child);
    return child;
  }

  /** The process id of a running service (the benchmark samples its CPU time and memory). */
  pid(name: ProcessName): number | undefined {
    return this.children.get(name)?.child.pid;
  }

  /** SIGKILL: no chance to finish or commit anything. */
  async kill(name: ProcessName): Promise<void> {
    const child = this.children.get(name);
    this.children.delete(name);
    await child?.kill();
  }

  async stop(name: ProcessName): Promise<number | null> {
    const child = this.children.get(name);
    this.children.delete(name);
    return (await child?.stop()) ?? null;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((name) => this.stop(name)));
    await Promise.all([...this.logs.values()].map((l) => new Promise((r) => l.end(r))));
    this.logs.clear();
  }

  /** Waits until ingest answers /readyz (Kafka and Redis reachable) and enrich/aggregate are still alive. */
  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const name of SERVICE_NAMES) {
        if (!this.children.has(name)) {
          throw new Error(`${name} exited during start-up; see ${path.join(this.logDir, `${name}.log`)}`);
        }
      }
      if (await answersReady(`${this.ingestUrl}/readyz`)) return;
      if (Date.now() > deadline) throw new Error(`ingest not ready in time; see ${this.logDir}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/**
 * One readiness poll: true on a 2xx answer; false on any other answer, an error, or no answer within
 * `timeoutMs` (a process that accepts the connection but never answers would otherwise hold the poll
 * loop, and its deadline, forever).
 */
export async function answersReady(url: string, timeoutMs = 5_000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer(); // read the body, so the connection is released
    return res.ok;
  } catch {
    return false;
  }
}

/** Loads the sample district's roster (with course→app map and networks) and its app list into enrich's stores. */
export async function loadDistrictReferenceData(
  env: Record<string, string>,
  districtId: string,
  files: WrittenFiles,
): Promise<{ roster: string; catalog: string }> {
  const catalog = await runServiceCli('enrich', ['catalog', 'import', '--district', districtId, files.apps], env);
  const roster = await runServiceCli('enrich', ['roster', 'import', '--district', districtId, files.dir], env);
  return { roster, catalog };
}

/** Creates one API key per source for the district and returns them by source. */
export async function createApiKeys(
  env: Record<string, string>,
  districtId: string,
  sources: string[],
): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for (const source of sources) {
    const out = await runServiceCli(
      'ingest',
      ['keys', 'create', '--district', districtId, '--source', source, '--name', `sample ${source}`, '--json'],
      env,
    );
    const parsed = JSON.parse(out) as { key?: string };
    if (!parsed.key) throw new Error(`keys create printed no key: ${out}`);
    keys[source] = parsed.key;
  }
  return keys;
}

export interface SampleSendSummary {
  native: SendSummary;
  caliper: SendSummary;
  squid: {
    read: number;
    accepted: number;
    rejected: number;
    rejectedByCode: Record<string, number>;
    /** Valid lines that are no event (folded assets/tunnels, failed requests: docs/MEANING.md "Proxy logs"). */
    skippedByCode: Record<string, number>;
  };
}

/** Sends the sample's events through the real entry points: HTTP for native and Caliper, file import for Squid. */
export async function sendSampleEvents(
  pipeline: LocalPipeline,
  districtId: string,
  files: WrittenFiles,
  keys: Record<string, string>,
  onProgress?: (what: string, sent: number) => void,
): Promise<SampleSendSummary> {
  const [native, caliper] = await Promise.all([
    sendNativeFile(files.native, pipeline.ingestUrl, keys, 'agent', {
      onProgress: (n) => onProgress?.('native', n),
    }),
    sendCaliperFile(files.caliper, pipeline.ingestUrl, keys.caliper ?? '', {
      onProgress: (n) => onProgress?.('caliper', n),
    }),
  ]);
  const squid = await importSquidFile(pipeline.env, districtId, files.squid);
  return { native, caliper, squid };
}

/** Imports a Squid access log with the ingest import command (source `proxy`) and returns its summary. */
export async function importSquidFile(
  env: Record<string, string>,
  districtId: string,
  file: string,
): Promise<SampleSendSummary['squid']> {
  const args = ['import', '--district', districtId, '--source', 'proxy', '--format', 'squid'];
  const out = await runServiceCli('ingest', [...args, '--progress', 'none', '--json', file], env);
  const s = JSON.parse(out) as {
    lines: number;
    accepted: number;
    rejected: number;
    rejectedByReason: Record<string, number>;
    skippedByReason: Record<string, number>;
  };
  return {
    read: s.lines,
    accepted: s.accepted,
    rejected: s.rejected,
    rejectedByCode: s.rejectedByReason,
    skippedByCode: s.skippedByReason,
  };
}

/** Waits until enrich and aggregate have consumed everything on their topics. */
export async function waitForPipeline(
  kafka: Kafka,
  config: BaseConfig & { ENRICH_GROUP_ID?: string; AGGREGATE_GROUP_ID?: string },
  onProgress?: (lags: Record<string, number>) => void,
  timeoutMs = 600_000,
): Promise<void> {
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  await waitUntilDrained(
    kafka,
    [
      { groupId: config.ENRICH_GROUP_ID ?? 'edusage-enrich', topics: [topics.raw] },
      { groupId: config.AGGREGATE_GROUP_ID ?? 'edusage-aggregate', topics: [topics.enriched, topics.dlq] },
    ],
    { timeoutMs, ...(onProgress ? { onProgress } : {}) },
  );
}
