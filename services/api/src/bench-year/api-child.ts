/**
 * The built API (services/api/dist/main.js) as a child process on the benchmark's database, with a
 * Redis prefix of its own and an admin token of the district, as an operator would run it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '@edusage/redis';
import type { ApiConfig } from '../config';
import { API_NODE_OPTIONS } from '../node-options';
import { TokenStore } from '../tokens';

export interface ApiChild {
  url: string;
  token: string;
  pid: number;
  /** The message of the last error the API logged ('' if none). */
  lastLoggedError(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function waitReady(url: string, exited: () => string | null, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = exited();
    if (why !== null) throw new Error(`the API exited (${why}) before it was ready`);
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the API was not ready after ${timeoutMs / 1000} s`);
    await sleep(300);
  }
}

export async function startApiChild(config: ApiConfig, districtId: string): Promise<ApiChild> {
  const prefix = `bench-year-${randomBytes(4).toString('hex')}:`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const redis = new Redis(config.REDIS_URL);
  const { token } = await new TokenStore(redis, prefix, 0).create({ districtId, role: 'admin', name: 'bench-year' });
  let lastLines = '';
  let lastError = '';
  let partial = '';
  // The API logs JSON lines (pino): keep the last error's message, to say why a request failed.
  const readLines = (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"err"')) continue;
      try {
        const parsed = JSON.parse(line) as { err?: { message?: string } };
        if (parsed.err?.message) lastError = parsed.err.message;
      } catch {
        // not a log line
      }
    }
  };
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'main.js')], {
    env: {
      ...process.env,
      NODE_OPTIONS: [process.env.NODE_OPTIONS, API_NODE_OPTIONS].filter(Boolean).join(' '),
      CLICKHOUSE_DATABASE: config.CLICKHOUSE_DATABASE,
      REDIS_KEY_PREFIX: prefix,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      API_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    lastLines = (lastLines + chunk.toString('utf8')).slice(-2000);
    readLines(chunk.toString('utf8'));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited.finally(() => clearTimeout(timer));
    }
    await deleteKeysWithPrefix(redis, prefix).finally(() => redis.disconnect());
  };
  try {
    await waitReady(url, () => (child.exitCode ?? child.signalCode)?.toString() ?? null, 60_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; its last output: ${lastLines}`, { cause: err });
  }
  return { url, token, pid: child.pid ?? -1, lastLoggedError: () => lastError, stop };
}
