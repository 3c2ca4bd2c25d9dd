/**
 * The built service as a child process, as it is deployed: boot, readiness, the token CLI, the
 * per-token rate limit held in Redis across a restart, OpenAPI and docs, the audit log surviving a
 * ClickHouse write failure (counted, retried, nothing lost), and a graceful SIGTERM.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { promisify } from 'node:util';
import { command, createClickHouse, dropDatabase, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { researchDatabaseOf } from '@edusage/research';
import { ENDPOINTS } from '@edusage/api';
import { createTestEnv, freePort, waitFor, type TestEnv } from '@edusage/testkit';

const run = promisify(execFile);
const DIST = path.resolve(__dirname, '..', 'dist');

let env: TestEnv;
let ch: ClickHouseClient;
let port: number;
let procEnv: Record<string, string>;
/** Every API process started, so a failing test cannot leave one running (afterAll kills them). */
const children: ChildProcess[] = [];

async function start(): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [path.join(DIST, 'main.js')], {
    env: procEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor(
    () =>
      fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status,
        () => 0,
      ),
    (s) => s === 200,
    { timeoutMs: 60_000, what: `api ready\n${log}` },
  );
  return { child, log: () => log };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

const cli = async (...args: string[]) =>
  (await run(process.execPath, [path.join(DIST, 'cli.js'), ...args], { env: procEnv })).stdout;

async function createToken(role: string): Promise<{ token: string; id: string }> {
  const out = await cli('tokens', 'create', '--district', 'dA', '--role', role, '--name', `${role} cli`);
  const lines = out.trim().split('\n');
  return { token: lines[lines.length - 1]!, id: /token ([0-9a-f]{12})/.exec(out)![1]! };
}

const get = (url: string, token?: string) =>
  fetch(`http://127.0.0.1:${port}${url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

beforeAll(async () => {
  env = await createTestEnv('api_service');
  ch = createClickHouse(env.config);
  port = await freePort();
  procEnv = {
    ...(process.env as Record<string, string>),
    ...env.env,
    API_PORT: String(port),
    API_RATE_LIMIT: '4',
    API_RATE_WINDOW_MS: '600000',
    API_TOKEN_CACHE_MS: '0',
    API_AUDIT_FLUSH_MS: '200',
  };
}, 120_000);
afterAll(async () => {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    running.map((c) => {
      const exited = once(c, 'exit');
      c.kill('SIGKILL');
      return exited;
    }),
  );
  await ch?.close();
  // The API creates the research database beside the suite's own (startApi: ensureResearchSchema).
  if (env)
    await dropDatabase({ ...env.config, CLICKHOUSE_DATABASE: researchDatabaseOf(env.config) }).catch(() => undefined);
  await env?.cleanup();
});

test('boots, serves, limits per token across a restart, keeps the audit log through a write failure, stops on SIGTERM', async () => {
  let svc = await start();
  const a = await createToken('director');
  const b = await createToken('admin');
  const c = await createToken('researcher');
  expect(await cli('tokens', 'list', '--district', 'dA')).toContain(a.id);

  // Per token: 4 a window; the other token is counted apart.
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await get('/v1/research', a.token)).status);
  expect(statuses).toEqual([200, 200, 200]);
  expect((await get('/v1/research', b.token)).status).toBe(200);

  // The counters are in Redis: a restarted process goes on counting.
  expect(await stop(svc.child)).toBe(0);
  svc = await start();
  expect((await get('/v1/research', a.token)).status).toBe(200);
  const limited = await get('/v1/research', a.token);
  expect(limited.status).toBe(429);
  expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
  expect((await get('/v1/research', b.token)).status).toBe(200);

  // OpenAPI 3.1 from the zod schemas, and the docs page, served locally.
  const doc = (await (await get('/openapi.json')).json()) as {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          parameters: { name: string; in: string; required: boolean }[];
          responses: Record<
            string,
            { headers?: Record<string, unknown>; content: Record<string, { schema: unknown }> }
          >;
        }
      >
    >;
  };
  expect(doc.openapi).toBe('3.1.0');
  const district = doc.paths['/v1/usage/district']!.get!;
  expect(
    district.parameters
      .filter((p) => p.required)
      .map((p) => p.name)
      .sort(),
  ).toEqual(['from', 'to']);
  expect(doc.paths['/v1/tokens/{id}']!.delete).toBeDefined();
  // Every endpoint the server routes is in the document, with each of its query (and path) parameters
  // as its zod schema names them: `:table` in the route is `{table}` in OpenAPI.
  for (const e of ENDPOINTS) {
    const openApiPath = e.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const op = doc.paths[openApiPath]?.[e.method.toLowerCase()];
    expect([e.method, e.path, op !== undefined]).toEqual([e.method, e.path, true]);
    const named = (where: string) =>
      (op?.parameters ?? [])
        .filter((p) => p.in === where)
        .map((p) => p.name)
        .sort();
    expect([e.path, named('query')]).toEqual([e.path, Object.keys(e.query.shape).sort()]);
    expect([e.path, named('path')]).toEqual([e.path, Object.keys(e.params?.shape ?? {}).sort()]);
  }
  expect(ENDPOINTS.length).toBeGreaterThan(10);
  // A list's CSV answer carries the JSON answer's other fields in a header; an object answer that takes
  // freshness declares its fields (the list answers' are tested with the freshness endpoints).
  expect(Object.keys(district.responses['200']!.headers ?? {})).toEqual(['edusage-meta']);
  const unresolved = doc.paths['/v1/unresolved']!.get!.responses['200']!.content['application/json']!.schema as {
    properties: Record<string, unknown>;
  };
  expect(Object.keys(unresolved.properties)).toEqual(
    expect.arrayContaining(['freshness', 'compactions', 'months_not_compacted', 'total_events']),
  );
  const html = await (await get('/docs')).text();
  expect(html).toContain('/v1/usage/district');
  expect(html).not.toMatch(/<script|https?:\/\/(?!127)/);

  // The audit table refuses writes: entries wait, failures are counted, then everything is written.
  await command(ch, 'RENAME TABLE api_audit_log TO api_audit_log_away');
  for (let i = 0; i < 3; i++) expect((await get('/v1/research', c.token)).status).toBe(200);
  const metric = async (name: string) => {
    const text = await (await get('/metrics')).text();
    return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  };
  await waitFor(
    () => metric('edusage_api_audit_flush_failures_total'),
    (n) => n > 0,
    { timeoutMs: 20_000, what: 'audit failures counted' },
  );
  expect(await metric('edusage_api_audit_pending')).toBeGreaterThanOrEqual(3);
  await command(ch, 'RENAME TABLE api_audit_log_away TO api_audit_log');

  // Revocation by the CLI bites at once with API_TOKEN_CACHE_MS=0.
  await cli('tokens', 'revoke', c.id);
  expect((await get('/v1/research', c.token)).status).toBe(401);

  expect(await stop(svc.child)).toBe(0);
  // Requests to /v1: a 3, b 1 (first run); a 2, b 1, c 3 + 1 (second run) = 11, plus /openapi.json and
  // /docs: all in the log (the probes and /metrics are not audited).
  const rows = await queryRows<{ route: string; status: number }>(ch, 'SELECT route, status FROM api_audit_log');
  expect(rows).toHaveLength(13);
  expect(rows.filter((r) => r.route === '/openapi.json' || r.route === '/docs')).toHaveLength(2);
  expect(rows.filter((r) => r.status === 429)).toHaveLength(1);
  expect(rows.filter((r) => r.status === 401)).toHaveLength(1);
}, 240_000);
