import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';

export interface SupervisedServerOptions {
  /** Shown in errors, e.g. "private Redis". */
  name: string;
  /** The server's own folder (removed by cleanup unless KEEP_TEST_DATA=1). */
  dir: string;
  /** Where its stdout and stderr are appended. */
  logFile: string;
  command: string;
  args: readonly string[];
  /** Variables added to the server's environment. */
  env?: Readonly<Record<string, string>>;
  /** True once the server answers. */
  ready(): Promise<boolean>;
  startTimeoutMs: number;
  pollMs: number;
  /** After a stop signal, SIGKILL if the process has not exited by then. */
  killAfterMs: number;
}

export interface SupervisedServer {
  readonly pid: number | null;
  start(): Promise<void>;
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * One server process that a test can start, stop (SIGTERM or SIGKILL) and start again, for the private
 * ClickHouse, Redis and Kafka of testkit. A process left running when the test process exits is killed.
 */
export function superviseServer(opts: SupervisedServerOptions): SupervisedServer {
  let child: ChildProcess | null = null;
  let exited: Promise<unknown> | null = null;
  let out: WriteStream | null = null;
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);

  const start = async () => {
    if (child) throw new Error(`${opts.name} is already running`);
    out ??= createWriteStream(opts.logFile, { flags: 'a' });
    const proc = spawn(opts.command, [...opts.args], {
      cwd: opts.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    proc.stdout?.pipe(out, { end: false });
    proc.stderr?.pipe(out, { end: false });
    child = proc;
    exited = once(proc, 'exit').catch(() => undefined);
    void exited.then(() => {
      if (child === proc) child = null;
    });
    const deadline = Date.now() + opts.startTimeoutMs;
    while (!(await opts.ready())) {
      if (child !== proc) throw new Error(`${opts.name} exited during start-up; see ${opts.logFile}`);
      if (Date.now() > deadline)
        throw new Error(`${opts.name} not ready in ${opts.startTimeoutMs} ms; see ${opts.logFile}`);
      await new Promise((r) => setTimeout(r, opts.pollMs));
    }
  };

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const proc = child;
    if (!proc) return;
    const done = exited;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), opts.killAfterMs);
    try {
      await done;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    get pid() {
      return (child as ChildProcess | null)?.pid ?? null;
    },
    start,
    stop,
    async cleanup() {
      await stop('SIGKILL');
      process.removeListener('exit', onExit);
      await new Promise((r) => (out ? out.end(r) : r(undefined)));
      if (process.env.KEEP_TEST_DATA !== '1') rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}
