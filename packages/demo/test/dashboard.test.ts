/**
 * The demo's ending: an admin token made with the API's own command-line tool (no API code in the
 * demo), and the API served as a child process on the demo data, that token signing in.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { createDemoApiToken, dashboard } from '../src/dashboard';

jest.setTimeout(120_000);

let env: TestEnv;
let dir: string;
let printed: string[];

beforeAll(async () => {
  env = await createTestEnv('demo_dashboard', { kafka: false });
  dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-demo-dashboard-'));
});
afterAll(async () => {
  await env?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  printed = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    printed.push(String(chunk));
    return true;
  });
});
afterEach(() => jest.restoreAllMocks());

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

test('the token is an admin token of the district, stored only as its SHA-256 in the API keyspace', async () => {
  const token = await createDemoApiToken(env.env, 'd1');
  const redis = new Redis(env.config.REDIS_URL);
  try {
    const stored = await redis.hgetall(`${env.config.REDIS_KEY_PREFIX}api:tokens`);
    const sha = createHash('sha256').update(token, 'utf8').digest('hex');
    expect(Object.keys(stored)).toEqual([sha]);
    expect(JSON.parse(stored[sha]!)).toMatchObject({ district_id: 'd1', role: 'admin', name: 'demo' });
    expect(JSON.stringify(stored)).not.toContain(token);
  } finally {
    redis.disconnect();
  }
});

test('serving starts the API as a child process that accepts the token, and stops it afterwards', async () => {
  const token = await createDemoApiToken(env.env, 'd1');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const usage = (bearer: string) =>
    fetch(`${base}/v1/usage/district?from=2026-09-01&to=2026-09-02`, {
      headers: { authorization: `Bearer ${bearer}` },
    });
  let release!: () => void;
  const until = new Promise<void>((r) => (release = r));
  const served = dashboard(
    { ...env.env, API_PORT: String(port) },
    dir,
    token,
    { from: '2026-09-01', to: '2026-09-02' },
    true,
    until,
  );
  // The dashboard lines are printed once the API is ready.
  while (!printed.join('').includes('serving until Ctrl-C')) await new Promise((r) => setTimeout(r, 200));
  const answers = [(await usage(token)).status, (await usage('eds_not-a-token')).status];
  release();
  await served;
  expect(answers).toEqual([200, 401]);
  expect(printed.join('')).toContain(`Dashboard: ${base}/dashboard/overview?from=2026-09-01&to=2026-09-02`);
  expect(printed.join('')).toContain(`sign in with the token: ${token}`);
  await expect(fetch(`${base}/readyz`)).rejects.toThrow();
});

test('when the API cannot listen, the demo says why and still prints the address and token', async () => {
  // Something else holds the port: it accepts connections and never answers (so /readyz hangs too).
  const sockets = new Set<Socket>();
  const blocker = createServer((socket) => sockets.add(socket));
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const { port } = blocker.address() as { port: number };
  try {
    await dashboard(
      { ...env.env, API_PORT: String(port) },
      dir,
      'eds_x',
      { from: '2026-09-01', to: '2026-09-02' },
      true,
    );
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => blocker.close(r));
  }
  const out = printed.join('');
  expect(out).toMatch(/The API could not start here \(it exited with 1: .*EADDRINUSE/);
  expect(out).toContain('sign in with the token: eds_x');
});
