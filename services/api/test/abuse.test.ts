/**
 * Injection and abuse through every parameter of every endpoint: quotes, backslashes, unicode, NUL,
 * SQL, huge values, arrays where scalars belong, unknown and prototype-named parameters. Each must be a
 * clean 400 naming the field (never a 500, never data). Token guessing is throttled per IP.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import Fastify, { type FastifyInstance } from 'fastify';
import { ENDPOINTS, loadApiConfig, trustHops, trustProxy, trustProxyWarning } from '@edusage/api';
import { queryRows } from '@edusage/clickhouse';
import { ConfigError } from '@edusage/config';
import { waitFor } from '@edusage/testkit';
import { serverOf, startHarness, type Harness } from './harness';

const VALID: Record<string, string> = {
  from: '2026-09-14',
  to: '2026-09-16',
  window: '3d',
  as_of: '2026-09-16',
  renewing_from: '2026-09-01',
  limit: '5',
  format: 'json',
  school: 'sA1',
  class: 'cA1',
  app: 'appa1',
  assessment: 'map_growth',
  subject: 'math',
  goal: '30',
  k: '10',
};

const NASTY = [
  "sA1' OR 1=1 --",
  "x\\' UNION SELECT * FROM system.tables --",
  'a\\',
  '"quoted"',
  'é',
  '😀',
  'sA1\u0000',
  '\u202e',
  'a'.repeat(10_000),
  '9'.repeat(400),
  '-1',
  '',
  ' ',
  '2026-09-14; DROP TABLE usage_events',
];

let h: Harness;
/** SELECTs the endpoints sent to ClickHouse (the audit log writes with insert, not counted). */
let queries: string[] = [];
beforeAll(async () => {
  h = await startHarness('api_abuse', { API_AUTH_FAILURE_LIMIT: '5', API_RATE_LIMIT: '100000' });
  // Both clients: the operational database's and the research database's (the research endpoints).
  for (const ch of [h.api.deps.ch, h.api.deps.research]) {
    const query = ch.query.bind(ch);
    ch.query = ((params: { query: string }) => {
      queries.push(params.query);
      return query(params as never);
    }) as typeof ch.query;
  }
}, 180_000);
beforeEach(() => {
  queries = [];
});
afterAll(async () => h?.close());

const getEndpoints = ENDPOINTS.filter((e) => e.method === 'GET').map((e) => ({
  ...e,
  // A path parameter filled with a valid value (the parameters under test are the query's).
  path: e.path.replace(':table', 'weekly_app_usage_school'),
}));
const queryOf = (e: (typeof ENDPOINTS)[number]) => Object.keys(e.query.shape);

/** The endpoint's required parameters, with valid values. */
const baseQuery = (e: (typeof ENDPOINTS)[number]) =>
  Object.fromEntries(
    queryOf(e)
      .filter(
        (k) => !(e.query.shape[k] as { safeParse(v: unknown): { success: boolean } }).safeParse(undefined).success,
      )
      .map((k) => [k, VALID[k]!]),
  );

async function expectClean400(url: string, field: RegExp) {
  const res = await h.api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${h.tokens.admin}` } });
  expect({ url: url.slice(0, 200), status: res.statusCode }).toEqual({ url: url.slice(0, 200), status: 400 });
  const body = JSON.parse(res.body) as { error: string; issues: { field: string; message: string }[]; rows?: unknown };
  expect(body.error).toBe('invalid_request');
  expect(body.rows).toBeUndefined();
  expect(body.issues.some((i) => field.test(i.field) || field.test(i.message))).toBe(true);
}

test('the valid base request of every GET endpoint is answered (so the 400s below are about the value)', async () => {
  for (const e of getEndpoints) {
    const qs = new URLSearchParams(baseQuery(e)).toString();
    const res = await h.get(`${e.path}?${qs}`, h.tokens.admin);
    expect({ path: e.path, status: res.status }).toEqual({ path: e.path, status: 200 });
  }
  expect(queries.length).toBeGreaterThan(5); // the spy sees the report queries
  expect(queries.some((q) => /weekly_app_usage_school/.test(q))).toBe(true); // and the research client's
});

test('the research table named in the path refuses every value but the tables, before any query', async () => {
  const period = 'from=2026-09-14&to=2026-09-20';
  const values = [...NASTY, 'usage_events', 'system.tables', '../usage_events', 'WEEKLY_APP_USAGE_SCHOOL'].filter(
    (v) => v.trim() !== '' && v.length <= 100,
  );
  for (const value of values) {
    await expectClean400(`/v1/research/weekly/${encodeURIComponent(value)}?${period}`, /^path\.table$/);
  }
  // A path parameter over 100 characters is refused by the router itself (414), as plainly.
  const long = await h.api.app.inject({
    method: 'GET',
    url: `/v1/research/weekly/${'a'.repeat(10_000)}?${period}`,
    headers: { authorization: `Bearer ${h.tokens.admin}` },
  });
  expect(long.statusCode).toBe(414);
  expect(long.body).not.toMatch(/rows|weekly_app_usage/);
  expect(queries).toEqual([]);
});

test('every parameter refuses quotes, backslashes, unicode, NUL, SQL and huge values', async () => {
  let checked = 0;
  for (const e of getEndpoints) {
    for (const name of queryOf(e)) {
      for (const value of NASTY) {
        // '' is a valid "absent" for nothing here except where the schema has no string at all.
        const q = new URLSearchParams({ ...baseQuery(e), [name]: value });
        await expectClean400(`${e.path}?${q.toString()}`, new RegExp(`query\\.${name}`));
        checked++;
      }
    }
  }
  expect(checked).toBeGreaterThan(200);
  // Refused before anything ran: not one query reached ClickHouse.
  expect(queries).toEqual([]);
});

test('arrays where scalars belong, unknown and prototype-named parameters are refused', async () => {
  for (const e of getEndpoints) {
    const base = new URLSearchParams(baseQuery(e)).toString();
    const sep = base ? '&' : '';
    for (const name of queryOf(e)) {
      const v = VALID[name]!;
      await expectClean400(`${e.path}?${base}${sep}${name}=${v}&${name}=${v}`, new RegExp(`query\\.${name}`));
    }
    await expectClean400(`${e.path}?${base}${sep}district=dB`, /unknown parameter.*district/);
    await expectClean400(`${e.path}?${base}${sep}__proto__=x`, /unknown parameter|query/);
    await expectClean400(`${e.path}?${base}${sep}constructor=x`, /unknown parameter.*constructor/);
    await expectClean400(`${e.path}?${base}${sep}from%5B%5D=2026-09-14`, /unknown parameter|query/);
  }
  expect(queries).toEqual([]);
});

test('dates and periods are bounded', async () => {
  const u = '/v1/usage/district';
  await expectClean400(`${u}?from=2026-02-30&to=2026-03-01`, /query\.from/);
  await expectClean400(`${u}?from=1999-12-31&to=2000-01-05`, /query\.from/);
  await expectClean400(`${u}?from=2026-09-16&to=2026-09-14`, /query\.to/);
  await expectClean400(`${u}?from=2025-01-01&to=2026-09-14`, /query\.to/);
  await expectClean400(`${u}?from=2026-09-14`, /query\.to/);
  await expectClean400(`/v1/licenses?window=1999-01-01..1999-02-01`, /query\.window/);
  await expectClean400(`/v1/licenses?window=99999d`, /query\.window/);
  await expectClean400(`/v1/unresolved/apps?from=2026-09-14&to=2026-09-16&limit=1001`, /query\.limit/);
});

test('token bodies and ids are validated; nothing is created from a bad one', async () => {
  const post = (payload: unknown, type = 'application/json') =>
    h.api.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { authorization: `Bearer ${h.tokens.admin}`, 'content-type': type },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const before = (await h.api.tokens.list('dA')).length;
  for (const bad of [
    { role: 'root', name: 'x' },
    { role: ['admin'], name: 'x' },
    { role: 'admin', name: 'x\u0000y' },
    { role: 'admin', name: 'x'.repeat(201) },
    { role: 'admin', name: 'x', district_id: 'dB' },
    { role: 'school', name: 'x' },
    { role: 'admin', name: 'x', school_id: 'sA1' },
    { role: 'school', name: 'x', school_id: "sA1'--" },
  ]) {
    const res = await post(bad);
    expect({ bad, status: res.statusCode }).toEqual({ bad, status: 400 });
    expect(JSON.parse(res.body).error).toBe('invalid_request');
  }
  expect((await post('{"role":')).statusCode).toBe(400);
  expect((await post('role=admin', 'application/x-www-form-urlencoded')).statusCode).toBe(415);
  expect((await post({ role: 'admin', name: 'x'.repeat(20_000) })).statusCode).toBe(413);
  expect((await h.api.tokens.list('dA')).length).toBe(before);
  for (const id of ["abc'--", '0123456789ab0', '%00', 'ABCDEF012345']) {
    const res = await h.api.app.inject({
      method: 'DELETE',
      url: `/v1/tokens/${id}`,
      headers: { authorization: `Bearer ${h.tokens.admin}` },
    });
    expect({ id, status: res.statusCode }).toEqual({ id, status: 400 });
  }
  expect((await h.api.tokens.list('dA')).length).toBe(before);
});

test('malformed Authorization headers are a plain 401', async () => {
  for (const auth of [
    'Bearer',
    'Bearer ' + 'x'.repeat(5000),
    "Bearer ' OR 1=1",
    'Basic YWRtaW46YWRtaW4=',
    'Bearer eds_\u0000',
  ]) {
    const res = await h.api.app.inject({
      method: 'GET',
      url: '/v1/research',
      headers: { authorization: auth, 'x-forwarded-for': '10.9.9.9' },
      remoteAddress: `10.0.0.${Math.floor(Math.random() * 200) + 20}`,
    });
    expect([401, 429]).toContain(res.statusCode);
  }
});

test('token guessing is throttled per IP (429), while a valid token from the same IP still works', async () => {
  const guess = () =>
    h.api.app.inject({
      method: 'GET',
      url: '/v1/usage/district?from=2026-09-14&to=2026-09-16',
      headers: { authorization: `Bearer eds_${'A'.repeat(43)}` },
      remoteAddress: '10.1.2.3',
    });
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await guess()).statusCode);
  expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
  const valid = await h.api.app.inject({
    method: 'GET',
    url: '/v1/research',
    headers: { authorization: `Bearer ${h.tokens.director}` },
    remoteAddress: '10.1.2.3',
  });
  expect(valid.statusCode).toBe(200);
  // The counters live in Redis (they hold across restarts and replicas).
  const redis = new Redis(h.env.config.REDIS_URL);
  try {
    const keys = await redis.keys(`${h.env.config.REDIS_KEY_PREFIX}api:ratelimit:*`);
    expect(keys.some((k) => k.endsWith('ip:10.1.2.3'))).toBe(true);
  } finally {
    redis.disconnect();
  }
});

test('without API_TRUST_PROXY a forged X-Forwarded-For does not escape the per-IP limit', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    const res = await h.api.app.inject({
      method: 'GET',
      url: '/v1/research',
      headers: { 'x-forwarded-for': `192.0.2.${i}` },
      remoteAddress: '10.7.7.7',
    });
    statuses.push(res.statusCode);
  }
  expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
});

/**
 * A server of the harness's API behind trusted proxies (API_TRUST_PROXY=`trust`, by default true: one),
 * with its own Redis connection.
 */
async function behindProxy(extraEnv: Record<string, string> = {}, trust = 'true') {
  return serverOf(h, { extraEnv: { ...extraEnv, API_TRUST_PROXY: trust } });
}

test('with API_TRUST_PROXY=true the client is the entry the proxy appended, not a leftmost one it wrote', async () => {
  const { app, redis, close } = await behindProxy({ API_AUTH_FAILURE_LIMIT: '5' });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await app.inject({
        method: 'GET',
        url: '/v1/research',
        // The client forges a different leftmost entry each time; the proxy (10.8.8.8) appends the real one.
        headers: { 'x-forwarded-for': `192.0.2.${i}, 198.51.100.7` },
        remoteAddress: '10.8.8.8',
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const keys = await redis.keys(`${h.env.config.REDIS_KEY_PREFIX}api:ratelimit:*`);
    expect(keys.some((k) => k.endsWith('ip:198.51.100.7'))).toBe(true);
    expect(keys.some((k) => /ip:192\.0\.2\./.test(k))).toBe(false);
  } finally {
    await close();
  }
});

/** Signs in to the dashboard of `app` at edusage.example over `proto`; the Set-Cookie header. */
async function signInTo(
  app: FastifyInstance,
  token: string,
  proto: string,
  extra: { headers?: Record<string, string>; remoteAddress?: string } = {},
): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/dashboard/sign-in',
    headers: {
      host: 'edusage.example',
      origin: `${proto}://edusage.example`,
      'content-type': 'application/x-www-form-urlencoded',
      ...extra.headers,
    },
    ...(extra.remoteAddress !== undefined ? { remoteAddress: extra.remoteAddress } : {}),
    payload: `token=${token}`,
  });
  expect(res.statusCode).toBe(303);
  return String(res.headers['set-cookie']);
}

test('the session cookie is Secure when the sign-in came over TLS (per the trusted proxy), not over plain HTTP', async () => {
  const { app, close } = await behindProxy();
  try {
    const signIn = (proto: string) =>
      signInTo(app, h.tokens.admin, proto, {
        headers: { 'x-forwarded-proto': proto, 'x-forwarded-for': '198.51.100.9' },
        remoteAddress: '10.8.8.8',
      });
    expect(await signIn('https')).toMatch(/^eds_session=[^;]+;.*; Secure/);
    expect(await signIn('http')).not.toMatch(/Secure/);
  } finally {
    await close();
  }
});

test('dashboard pages have a budget per token (API_DASHBOARD_PAGE_LIMIT), apart from its /v1 requests', async () => {
  const { app, redis, close } = await behindProxy({ API_DASHBOARD_PAGE_LIMIT: '3', API_RATE_LIMIT: '100000' }, 'false');
  const refusedPages = async () =>
    (await h.api.metrics.rateLimited.get()).values.find((v) => v.labels.kind === 'dashboard_page')?.value ?? 0;
  const refusedBefore = await refusedPages();
  try {
    const signIn = async (token: string) => (await signInTo(app, token, 'http')).split(';')[0]!;
    const view = (cookie: string, page: string) =>
      app.inject({ method: 'GET', url: `/dashboard/${page}`, headers: { cookie } });
    const admin = await signIn(h.tokens.admin);
    const statuses: number[] = [];
    for (const page of ['overview', 'apps', 'licenses', 'overview'])
      statuses.push((await view(admin, page)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await view(admin, 'apps');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).toContain('API_DASHBOARD_PAGE_LIMIT');
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    expect((await refusedPages()) - refusedBefore).toBe(2);
    // Counted under the documented key, expiring with the window: the pages shown, not the refused ones.
    const [key] = await redis.keys(`${h.env.config.REDIS_KEY_PREFIX}api:ratelimit:dashboard-page:token:*`);
    expect(await redis.get(key!)).toBe('3');
    expect(await redis.pttl(key!)).toBeGreaterThan(0);
    // The token's /v1 budget is its own, and another token's pages are not held back.
    const v1 = await app.inject({
      method: 'GET',
      url: '/v1/research',
      headers: { authorization: `Bearer ${h.tokens.admin}` },
    });
    expect(v1.statusCode).not.toBe(429);
    expect((await view(await signIn(h.tokens.school), 'schools')).statusCode).toBe(200);
    // Redis not answering the budget: refused (fails closed) as a dashboard page saying so, not JSON.
    const evalOf = redis.eval.bind(redis);
    redis.eval = (async () => {
      throw new Error('connection lost');
    }) as typeof redis.eval;
    const down = await view(await signIn(h.tokens.director), 'overview');
    redis.eval = evalOf;
    expect(down.statusCode).toBe(503);
    expect(down.headers['content-type']).toMatch(/^text\/html/);
    expect(down.body).toContain('try again in a few seconds');
  } finally {
    await close();
  }
});

test('API_TRUST_PROXY=2: the client is the entry the outer of two proxies appended', async () => {
  const app = Fastify({ trustProxy: trustHops(2) });
  app.get('/ip', async (request) => request.ip);
  const ip = async (xff: string) =>
    (await app.inject({ url: '/ip', headers: { 'x-forwarded-for': xff }, remoteAddress: '10.0.0.2' })).body;
  expect(await ip('192.0.2.1, 198.51.100.7, 10.0.0.1')).toBe('198.51.100.7');
  expect(await ip('198.51.100.7, 10.0.0.1')).toBe('198.51.100.7');
  await app.close();
});

test('a hop count in API_TRUST_PROXY is warned about at start; an address list and none are not', () => {
  const warning = (v: string) => trustProxyWarning(loadApiConfig({ ...h.env.env, API_TRUST_PROXY: v }).API_TRUST_PROXY);
  expect(warning('true')).toMatch(
    /^API_TRUST_PROXY=1 trusts X-Forwarded-For from any peer.*List the proxies' addresses/,
  );
  expect(warning('2')).toMatch(/^API_TRUST_PROXY=2 /);
  expect([warning('false'), warning('0'), warning('10.20.0.5,::1')]).toEqual([null, null, null]);
});

test('API_TRUST_PROXY is true, false or a hop count', () => {
  const hops = (v?: string) => loadApiConfig({ ...h.env.env, API_TRUST_PROXY: v }).API_TRUST_PROXY;
  expect([hops(undefined), hops('false'), hops('true'), hops('1'), hops('2')]).toEqual([0, 0, 1, 1, 2]);
  for (const bad of ['-1', '1.5', 'maybe', '101'])
    expect(() => hops(bad)).toThrow(/API_TRUST_PROXY: must be true, false or the number of reverse proxies/);
});

/** The audit log's ip of each request whose id starts with `prefix` (`n` of them), in request id order. */
async function auditedIps(prefix: string, n: number): Promise<string[]> {
  const rows = await waitFor(
    async () => {
      await h.api.audit.flush();
      return queryRows<{ ip: string }>(
        h.ch,
        `SELECT ip FROM api_audit_log WHERE startsWith(request_id, '${prefix}') ORDER BY request_id`,
      );
    },
    (r) => r.length >= n,
    { timeoutMs: 20_000, what: `audit entries ${prefix}*` },
  );
  return rows.map((r) => r.ip);
}

/** `count` requests without a token from `remoteAddress` with X-Forwarded-For `xff(i)`; their statuses. */
async function guesses(
  app: Awaited<ReturnType<typeof behindProxy>>['app'],
  remoteAddress: string,
  xff: (i: number) => string,
  requestIds: string,
  count = 7,
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/research',
      headers: { 'x-forwarded-for': xff(i), 'x-request-id': `${requestIds}${i}` },
      remoteAddress,
    });
    statuses.push(res.statusCode);
  }
  return statuses;
}

test('with API_TRUST_PROXY as an address list, a listed proxy passes on the client address (throttle, audit ip)', async () => {
  const { app, redis, close } = await behindProxy({ API_AUTH_FAILURE_LIMIT: '5' }, '10.0.0.0/8, 127.0.0.1, ::1');
  try {
    const ids = `list-in-${randomUUID()}-`;
    // The client forges a different leftmost entry each time; the listed proxy (10.8.8.9) appends the real one.
    const statuses = await guesses(app, '10.8.8.9', (i) => `192.0.2.${i}, 198.51.100.21`, ids);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const keys = await redis.keys(`${h.env.config.REDIS_KEY_PREFIX}api:ratelimit:*`);
    expect(keys.some((k) => k.endsWith('ip:198.51.100.21'))).toBe(true);
    expect(keys.some((k) => k.endsWith('ip:10.8.8.9'))).toBe(false);
    expect(await auditedIps(ids, 7)).toEqual(Array(7).fill('198.51.100.21'));
  } finally {
    await close();
  }
});

test('with API_TRUST_PROXY as an address list, a peer not in it cannot forge its address with X-Forwarded-For', async () => {
  const { app, redis, close } = await behindProxy({ API_AUTH_FAILURE_LIMIT: '5' }, '10.0.0.0/8,::1');
  try {
    const ids = `list-out-${randomUUID()}-`;
    // A client reaching the API directly writes a new address each time, even one ending in a listed proxy.
    const statuses = await guesses(app, '203.0.113.9', (i) => `198.51.100.${100 + i}, 10.0.0.1`, ids);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const keys = await redis.keys(`${h.env.config.REDIS_KEY_PREFIX}api:ratelimit:*`);
    expect(keys.some((k) => k.endsWith('ip:203.0.113.9'))).toBe(true);
    expect(keys.some((k) => /ip:(198\.51\.100\.1\d\d|10\.0\.0\.1)$/.test(k))).toBe(false);
    expect(await auditedIps(ids, 7)).toEqual(Array(7).fill('203.0.113.9'));
  } finally {
    await close();
  }
});

test('API_TRUST_PROXY as an address list over a real socket: the peer 127.0.0.1 is trusted only when listed', async () => {
  const audited = async (trust: string) => {
    const { app, close } = await behindProxy({}, trust);
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      const ids = `list-socket-${randomUUID()}-`;
      const res = await fetch(`http://127.0.0.1:${port}/v1/research`, {
        headers: { 'x-forwarded-for': '192.0.2.77, 198.51.100.77', 'x-request-id': `${ids}0` },
      });
      expect(res.status).toBe(401);
      return (await auditedIps(ids, 1))[0];
    } finally {
      await close();
    }
  };
  expect(await audited('127.0.0.1')).toBe('198.51.100.77');
  expect(await audited('10.0.0.0/8, ::1')).toBe('127.0.0.1');
});

test('API_TRUST_PROXY as an address list: X-Forwarded-* only from a listed peer, walked back through listed hops', async () => {
  const { API_TRUST_PROXY } = loadApiConfig({ ...h.env.env, API_TRUST_PROXY: '10.0.0.0/8, 2001:db8::/32' });
  const app = Fastify({ trustProxy: trustProxy(API_TRUST_PROXY) });
  app.get('/who', async (request) => ({ ip: request.ip, protocol: request.protocol }));
  const who = async (remoteAddress: string, xff: string) =>
    (
      await app.inject({
        url: '/who',
        headers: { 'x-forwarded-for': xff, 'x-forwarded-proto': 'https' },
        remoteAddress,
      })
    ).json<{ ip: string; protocol: string }>();
  const via = (ip: string) => ({ ip, protocol: 'https' });
  const direct = (ip: string) => ({ ip, protocol: 'http' });
  // Two listed proxies: the client is the entry the outer one appended, not the leftmost one it wrote.
  expect(await who('10.0.0.2', '192.0.2.1, 198.51.100.7, 10.0.0.1')).toEqual(via('198.51.100.7'));
  expect(await who('2001:db8::5', '198.51.100.7')).toEqual(via('198.51.100.7'));
  expect(await who('::ffff:10.0.0.2', '198.51.100.7')).toEqual(via('198.51.100.7'));
  // A listed proxy behind an unlisted hop: the walk stops at the unlisted hop, whose entries it wrote.
  expect(await who('10.0.0.2', '192.0.2.1, 203.0.113.9')).toEqual(via('203.0.113.9'));
  // A peer not in the list: its X-Forwarded-For and X-Forwarded-Proto are ignored.
  expect(await who('203.0.113.9', '192.0.2.1, 10.0.0.1')).toEqual(direct('203.0.113.9'));
  expect(await who('2001:db9::5', '198.51.100.7')).toEqual(direct('2001:db9::5'));
  await app.close();
});

test('API_TRUST_PROXY takes a list of IP addresses and CIDR ranges; a bad entry is refused by name', () => {
  const trust = (v: string) => loadApiConfig({ ...h.env.env, API_TRUST_PROXY: v }).API_TRUST_PROXY;
  expect(trust('10.0.0.0/8,127.0.0.1,::1')).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
  expect(trust(' 192.168.1.10 , fd00::/48 ')).toEqual(['192.168.1.10', 'fd00::/48']);
  expect(trust('203.0.113.5')).toEqual(['203.0.113.5']);
  expect(trust('::ffff:10.0.0.0/104,2001:db8::1/128,172.16.0.0/12')).toEqual([
    '::ffff:10.0.0.0/104',
    '2001:db8::1/128',
    '172.16.0.0/12',
  ]);
  // Whatever the config accepts, Fastify (@fastify/proxy-addr) compiles.
  for (const v of ['10.0.0.0/8,127.0.0.1,::1', '::ffff:10.0.0.0/104,1.2.3.4/32,2001:db8::/32'])
    expect(() => Fastify({ trustProxy: trustProxy(trust(v)) })).not.toThrow();

  const refusal = (v: string) => {
    try {
      trust(v);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error(`API_TRUST_PROXY=${v} was accepted`);
  };
  const cases: [string, string][] = [
    ['10.0.0.0/8,proxy.internal', '"proxy.internal" is not an IP address'],
    ['10.0.0.256', '"10.0.0.256" is not an IP address'],
    ['127.0.0.1,10.0.0.0/33', '"10.0.0.0/33": the prefix length must be a number from 8 to 32'],
    ['::1/129', '"::1/129": the prefix length must be a number from 32 to 128'],
    ['10.0.0.0/0', '"10.0.0.0/0": the prefix length must be a number from 8 to 32'],
    // Ranges that would trust nearly every client to name its own address.
    ['0.0.0.0/1,128.0.0.0/1', '"0.0.0.0/1": the prefix length must be a number from 8 to 32'],
    ['::/1', '"::/1": the prefix length must be a number from 32 to 128'],
    ['::ffff:10.0.0.0/8', '"::ffff:10.0.0.0/8": the prefix length must be a number from 104 to 128 for an IPv4-mapped'],
    ['10.0.0.0/', '"10.0.0.0/": the prefix length'],
    ['10.0.0.0/255.0.0.0', '"10.0.0.0/255.0.0.0": the prefix length'],
    ['10.0.0.1,,::1', 'entry 2 of "10.0.0.1,,::1" is empty'],
    ['10.0.0.1,', 'entry 2 of "10.0.0.1," is empty'],
    ['fe80::1%eth0', '"fe80::1%eth0": a zone id'],
  ];
  for (const [value, problem] of cases) {
    const message = refusal(value);
    expect(message).toContain('API_TRUST_PROXY: must be true, false or the number of reverse proxies');
    expect(message).toContain(problem);
  }
  // Every bad entry is named, the good ones are not.
  const both = refusal('10.0.0.1, bogus, 10.0.0.0/40');
  expect(both).toContain('"bogus" is not an IP address');
  expect(both).toContain('"10.0.0.0/40": the prefix length');
  expect(both).not.toContain('"10.0.0.1"');
});

test('CSV cells that a spreadsheet would run as a formula are defused', async () => {
  await h.api.tokens.create({ districtId: 'dA', role: 'director', name: '=HYPERLINK("http://x.example","y")' });
  await h.api.tokens.create({ districtId: 'dA', role: 'director', name: '@SUM(1+1)' });
  const csv = await h.get('/v1/tokens?format=csv', h.tokens.admin);
  expect(csv.status).toBe(200);
  expect(csv.body).toContain(`"'=HYPERLINK(""http://x.example"",""y"")"`);
  expect(csv.body).toContain(`'@SUM(1+1)`);
  expect(csv.body).not.toMatch(/(^|,)[=@]/m);
  // JSON keeps the name as given.
  const json = (await h.get('/v1/tokens', h.tokens.admin)).json as { rows: { name: string }[] };
  expect(json.rows.map((r) => r.name)).toContain('@SUM(1+1)');
});

test('numbers are whole and bounded', async () => {
  for (const v of ['1e309', '0', '1.5', '0x10', '+5', '9'.repeat(400)])
    await expectClean400(`/v1/imports?limit=${encodeURIComponent(v)}`, /query\.limit/);
  // Outcome cells: the API never publishes cells under 10 students, whatever k is asked for.
  const outcomes = '/v1/outcomes/evidence?app=appa1&assessment=map_growth&subject=math&from=2026-09-14&to=2026-09-16';
  for (const k of ['1', '5', '9']) await expectClean400(`${outcomes}&k=${k}`, /query\.k/);
});
