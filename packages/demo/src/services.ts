import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { Logger } from '@edusage/logging';

export type ServiceName = 'ingest' | 'enrich' | 'aggregate' | 'jobs' | 'api';

/** The repository root (this file is at packages/demo/{src,dist}/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface RunningChild {
  name: ServiceName;
  child: ChildProcess;
  /** Sends SIGTERM and waits for a graceful exit (SIGKILL after the timeout). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: the crash a test wants. */
  kill(): Promise<void>;
}

/**
 * The stream workers' lean heap (docs/BENCHMARKS.md "A leaner heap for the workers by default"): they
 * keep ~30 MiB alive, yet V8's defaults let each grow to ~230–300 MiB under load, mostly garbage. Semi-spaces
 * of 8 MiB (default 16) and an old space grown to twice the live size (`--heap-growing-percent=100`),
 * with WORKER_MALLOC_ENV, cut each worker's peak RSS by about a third for ~15 % more of their CPU. On the
 * command line, not in NODE_OPTIONS: Node refuses the second flag there.
 */
export const WORKER_NODE_ARGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=100'];

/**
 * glibc malloc for the workers: large Buffers (Kafka fetches and produce requests) always mmapped and so
 * returned when freed. Without it glibc raises its threshold after the first large free and serves them
 * from its heap, which stays as large as its highest use (~15–20 MiB more in enrich).
 */
export const WORKER_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' };

/**
 * Node options a service runs with, beside its entry point: the workers' lean heap, the API's larger
 * young generation (services/api/src/node-options.ts). infra/test/compose.test.ts keeps docker-compose.yml
 * and the services' READMEs the same.
 */
export const SERVICE_NODE_ARGS: Readonly<Partial<Record<ServiceName, readonly string[]>>> = {
  ingest: WORKER_NODE_ARGS,
  enrich: WORKER_NODE_ARGS,
  aggregate: WORKER_NODE_ARGS,
  api: ['--max-semi-space-size=32'],
};

/** Environment a service runs with unless its caller sets the variable: the workers' malloc setting. */
export const SERVICE_ENV: Readonly<Partial<Record<ServiceName, Readonly<Record<string, string>>>>> = {
  ingest: WORKER_MALLOC_ENV,
  enrich: WORKER_MALLOC_ENV,
  aggregate: WORKER_MALLOC_ENV,
};

/** Environment variables as a shell command line's `NAME=value` prefix. */
export function envAssignments(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** The command line that runs a service, as a person would type it from the repository root. */
export function serviceCommand(name: ServiceName): string {
  const env = envAssignments(SERVICE_ENV[name] ?? {});
  return [...(env ? [env] : []), 'node', ...(SERVICE_NODE_ARGS[name] ?? []), `services/${name}/dist/main.js`].join(' ');
}

export function serviceEntry(name: ServiceName): string {
  return path.join(REPO_ROOT, 'services', name, 'dist', 'main.js');
}

export interface StartOptions {
  logger?: Logger;
  onLine?: (line: string) => void;
  stdio?: 'inherit' | 'pipe';
  /** Without SERVICE_NODE_ARGS and SERVICE_ENV: V8's and glibc's defaults (the benchmark's --v8-defaults). */
  v8Defaults?: boolean;
}

/**
 * Starts a service's compiled entry point as a child process, its JSON log lines going to `logFile`
 * (or discarded) so the demo's own output stays readable.
 */
export function startService(
  name: ServiceName,
  env: Record<string, string | undefined>,
  opts: StartOptions = {},
): RunningChild {
  const nodeArgs = opts.v8Defaults ? [] : (SERVICE_NODE_ARGS[name] ?? []);
  const serviceEnv = opts.v8Defaults ? {} : SERVICE_ENV[name];
  const child = spawn(process.execPath, [...nodeArgs, serviceEntry(name)], {
    env: { ...serviceEnv, ...process.env, ...env },
    stdio: ['ignore', opts.stdio ?? 'pipe', opts.stdio ?? 'pipe'],
  });
  if (opts.stdio !== 'inherit') {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        opts.onLine?.(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  }
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    name,
    child,
    async stop(timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
