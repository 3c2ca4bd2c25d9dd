import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';
import { superviseServer } from './supervised-server';

/** A Redis server of a test's own (own port and data directory), which the test may stop and restart. */
export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>/0`, for REDIS_URL. */
  readonly url: string;
  readonly port: number;
  /** The directory holding the append-only file and the log (removed by `cleanup` unless KEEP_TEST_DATA=1). */
  readonly dir: string;
  readonly pid: number | null;
  /** Starts the server (again) on the same data directory and waits until it answers PING. */
  start(): Promise<void>;
  /** SIGTERM (graceful: Redis flushes its append-only file) or SIGKILL (crash), then waits until it is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  cleanup(): Promise<void>;
}

/** True when a PING on a fresh connection gets PONG within 2 s. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * Starts `redis-server` (on the PATH, as the local stack uses) on a free loopback port with the
 * stack's durability settings (append-only file, fsync every second), so a test can restart "Redis"
 * without touching the shared server at 6379.
 */
export async function startPrivateRedis(opts: { startTimeoutMs?: number } = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-redis-'));
  const port = await freePort();
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
  ];
  const server = superviseServer({
    name: 'private Redis',
    dir,
    logFile: path.join(dir, 'redis.log'),
    command: 'redis-server',
    args,
    ready: () => pong(port),
    startTimeoutMs,
    pollMs: 100,
    killAfterMs: 30_000,
  });

  await server.start();
  return {
    url: `redis://127.0.0.1:${port}/0`,
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
