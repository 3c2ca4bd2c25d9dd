import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';
import { repoRoot } from './paths';
import { superviseServer } from './supervised-server';

/** A ClickHouse server of a test's own (its own ports and data directory), which the test may stop and restart. */
export interface PrivateClickHouse {
  /** `http://127.0.0.1:<httpPort>`, for CLICKHOUSE_URL. */
  readonly url: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  /** The directory holding config, data and logs (removed by `cleanup` unless KEEP_TEST_DATA=1). */
  readonly dir: string;
  /** The read-only researcher user's password (infra/local/clickhouse-users.d/research.xml). */
  readonly researchPassword: string;
  /** The server's process id while it runs, else null. */
  readonly pid: number | null;
  /** Starts the server (again) on the same data directory and waits until it answers queries. */
  start(): Promise<void>;
  /** SIGTERM (graceful) or SIGKILL (crash), then waits until the process is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Stops the server (SIGKILL if still running) and removes its directory. */
  cleanup(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/?query=SELECT%201`, { signal: AbortSignal.timeout(2000) });
    return res.ok && (await res.text()).trim() === '1';
  } catch {
    return false;
  }
}

/**
 * Starts `clickhouse-server` with a config rendered from infra/local's templates into a temporary
 * directory, on free loopback ports, so a test can stop and restart "the database" without touching
 * the shared server at 8123 that other suites use. Needs `clickhouse-server` on the PATH (as the local
 * stack does).
 */
export async function startPrivateClickHouse(
  opts: { startTimeoutMs?: number; binary?: string; researchPassword?: string } = {},
): Promise<PrivateClickHouse> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-ch-'));
  for (const sub of ['data', 'tmp', 'user_files', 'format_schemas', 'log', 'users.d']) mkdirSync(path.join(dir, sub));
  const httpPort = await freePort();
  let tcpPort = await freePort();
  while (tcpPort === httpPort) tcpPort = await freePort();
  const render = (template: string, out: string) => {
    const text = readFileSync(path.join(repoRoot(), 'infra', 'local', template), 'utf8')
      .replaceAll('@CH_DIR@', dir)
      .replaceAll('@CH_HTTP_PORT@', String(httpPort))
      .replaceAll('@CH_TCP_PORT@', String(tcpPort));
    writeFileSync(path.join(dir, out), text);
  };
  render('clickhouse-config.xml.template', 'config.xml');
  render('clickhouse-users.xml.template', 'users.xml');
  // The same users.d files as the local stack (the researcher user), copied as they are.
  const usersD = path.join(repoRoot(), 'infra', 'local', 'clickhouse-users.d');
  for (const f of readdirSync(usersD).filter((n) => n.endsWith('.xml'))) {
    copyFileSync(path.join(usersD, f), path.join(dir, 'users.d', f));
  }
  const researchPassword = opts.researchPassword ?? 'research-test';

  const url = `http://127.0.0.1:${httpPort}`;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const server = superviseServer({
    name: 'private ClickHouse',
    dir,
    logFile: path.join(dir, 'log', 'stdout.log'),
    command: opts.binary ?? 'clickhouse-server',
    args: [`--config-file=${path.join(dir, 'config.xml')}`],
    env: { CLICKHOUSE_RESEARCH_PASSWORD: researchPassword },
    ready: () => answers(url),
    startTimeoutMs,
    pollMs: 200,
    killAfterMs: 30_000,
  });

  await server.start();
  return {
    url,
    httpPort,
    tcpPort,
    dir,
    researchPassword,
    get pid() {
      return server.pid;
    },
    start: server.start,
    stop: server.stop,
    cleanup: server.cleanup,
  };
}
