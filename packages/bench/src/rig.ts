import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { LocalPipeline, REPO_ROOT } from '@edusage/demo';
import { DISTRICT, PROBE_DISTRICT, serviceProcesses, type BenchContext } from './context';
import type { BenchData } from './phases/reset';
import { ProbeRunner } from './probes';
import { ProcessSampler, stackPids } from './proc';
import { Progress } from './progress';
import { StoredCounter } from './stored-counter';

/** The services under test and the instruments around them, shared by the load phases. */
export interface BenchRig {
  pipeline: LocalPipeline;
  db: ClickHouseClient;
  sampler: ProcessSampler;
  counter: StoredCounter;
  probes: ProbeRunner;
  progress: Progress;
  logDir: string;
  /** Where the services write their CPU profiles (with --profile). */
  profileDir: string;
  /** Where the services write their memory samples (with --memory). */
  memoryDir: string;
}

/**
 * Builds the pipeline (not started yet) and its instruments; with --profile each service gets the
 * CPU-profile preload, with --memory the memory preload.
 */
export function createRig(ctx: BenchContext, data: BenchData): BenchRig {
  const logDir = path.join(ctx.workDir, 'logs');
  rmSync(logDir, { recursive: true, force: true });
  const profileDir = path.join(ctx.opts.out, 'profiles', ctx.runId);
  const memoryDir = path.join(ctx.workDir, 'memory', ctx.runId);
  const pipeline = new LocalPipeline(instrumentedEnv(ctx, profileDir, memoryDir), logDir, ctx.opts.v8Defaults);
  const db = createClickHouse(ctx.config);
  const stackPidMap = stackPids(REPO_ROOT);
  const processes = serviceProcesses(ctx.opts.replicas);
  const sampler = new ProcessSampler(() => ({
    ...Object.fromEntries(processes.map((name) => [name, pipeline.pid(name)])),
    ...stackPidMap,
    bench: process.pid,
  }));
  const counter = new StoredCounter(db, DISTRICT);
  // data.probeKey is the probe district's key for source agent (phases/reset.ts).
  const probes = new ProbeRunner(
    pipeline.ingestUrl,
    data.probeKey,
    'agent',
    db,
    PROBE_DISTRICT,
    ctx.env.PSEUDONYM_KEY!,
    ctx.runId,
  );
  const progress = new Progress(ctx, counter, probes, sampler);
  return { pipeline, db, sampler, counter, probes, progress, logDir, profileDir, memoryDir };
}

/** The services' environment with the preloads the options ask for (NODE_OPTIONS, their directories). */
function instrumentedEnv(ctx: BenchContext, profileDir: string, memoryDir: string): Record<string, string> {
  const env: Record<string, string> = { ...ctx.env };
  const nodeOptions = [process.env.NODE_OPTIONS ?? ''];
  if (ctx.opts.profile) {
    mkdirSync(profileDir, { recursive: true });
    env.BENCH_CPU_PROFILE_DIR = profileDir;
    nodeOptions.push(`--require ${path.join(__dirname, 'cpu-profile-preload.js')}`);
  }
  if (ctx.opts.memory) {
    mkdirSync(memoryDir, { recursive: true });
    env.BENCH_MEMORY_DIR = memoryDir;
    nodeOptions.push(`--require ${path.join(__dirname, 'memory-preload.js')}`);
    if (ctx.opts.memoryLive) nodeOptions.push('--expose-gc');
  }
  const joined = nodeOptions.join(' ').trim();
  if (joined.length > 0) env.NODE_OPTIONS = joined;
  return env;
}

/** Stops whatever still runs (after a failure too). Stopping the pipeline twice is harmless. */
export async function closeRig(rig: BenchRig): Promise<void> {
  rig.sampler.stop();
  await rig.probes.stopPolling();
  rig.counter.stop();
  await rig.pipeline.stopAll();
  await rig.db.close();
}
