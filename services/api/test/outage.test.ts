/**
 * Redis (tokens, rate-limit counters) down: a request is answered 503 with Retry-After, never 401
 * (the token may be valid) nor 500, and nothing is served, whether the token was cached or not; once Redis is back the same token works.
 * HEAD requests go through the same checks as GET.
 */
import { dropDatabase } from '@edusage/clickhouse';
import { createLogger } from '@edusage/logging';
import { researchDatabaseOf } from '@edusage/research';
import { createTestEnv, startPrivateRedis, waitFor, type PrivateRedis, type TestEnv } from '@edusage/testkit';
import { loadApiConfig, startApi, type ApiService } from '@edusage/api';

let redis: PrivateRedis;
let env: TestEnv;
let api: ApiService;
let token: string;
let fresh: string;

beforeAll(async () => {
  redis = await startPrivateRedis();
  env = await createTestEnv('api_outage', { redisUrl: redis.url, kafka: false });
  api = await startApi(loadApiConfig({ ...env.env, API_PORT: '0' }), createLogger('t', 'silent'), {
    listen: false,
    defaultMetrics: false,
  });
  token = (await api.tokens.create({ districtId: 'dA', role: 'director', name: 'outage' })).token;
  fresh = (await api.tokens.create({ districtId: 'dA', role: 'director', name: 'not yet used' })).token;
}, 120_000);
afterAll(async () => {
  await api?.stop();
  if (env)
    await dropDatabase({ ...env.config, CLICKHOUSE_DATABASE: researchDatabaseOf(env.config) }).catch(() => undefined);
  await env?.cleanup();
  await redis?.stop();
});

const call = (method: 'GET' | 'HEAD', auth: string | null = token) =>
  api.app.inject({
    method,
    url: '/v1/research',
    headers: auth ? { authorization: `Bearer ${auth}` } : {},
  });

test('HEAD is checked like GET', async () => {
  expect((await call('HEAD', null)).statusCode).toBe(401);
  expect((await call('HEAD')).statusCode).toBe(200);
});

test('503 with Retry-After while Redis is down, then served again', async () => {
  expect((await call('GET')).statusCode).toBe(200);
  await redis.stop();
  // A token in the lookup cache meets the rate limiter's Redis; an uncached one the token lookup.
  for (const t of [token, fresh]) {
    const down = await call('GET', t);
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBeDefined();
    expect(Object.keys(JSON.parse(down.body)).sort()).toEqual(['error', 'message']);
  }
  await redis.start();
  await waitFor(
    () => call('GET').then((r) => r.statusCode),
    (s) => s === 200,
    { timeoutMs: 30_000, what: 'served after Redis is back' },
  );
}, 90_000);
