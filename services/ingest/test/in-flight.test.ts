import { createLogger } from '@edusage/logging';
import { buildServer } from '../src/server';

// The in-flight bound must release its slot whatever ends a request: a response, an error answer,
// or a refusal before the body is read. A leak would turn every request into 503 after N of them.
test('sequential requests never exceed a bound of one: every slot is released', async () => {
  const app = await buildServer({
    config: { INGEST_MAX_BODY_BYTES: 1024 * 1024, INGEST_MAX_ITEMS: 100, INGEST_MAX_CONCURRENT_REQUESTS: 1 },
    logger: createLogger('in-flight-test', 'silent'),
    keys: {
      resolve: async (key: string) =>
        key === 'good' ? { district_id: 'd1', source: 'agent', name: 'n', created_at: '', key_id: 'fake' } : null,
    },
    sink: { send: async () => undefined },
  });
  const statuses: number[] = [];
  for (const [auth, body] of [
    ['good', '[]'],
    ['bad', '[]'],
    ['good', '{oops'],
    ['good', '['.repeat(100) + ']'.repeat(100)],
    ['good', '[]'],
  ] as const) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    });
    statuses.push(res.statusCode);
  }
  expect(statuses).toEqual([202, 401, 400, 400, 202]);
  await app.close();
});

// The router decodes the path (`/%761/events` is /v1/events): the bound must not go by the raw URL.
test('an encoded path is counted like /v1/events: both get 503 overloaded while the one slot is held', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const app = await buildServer({
    config: { INGEST_MAX_BODY_BYTES: 1024 * 1024, INGEST_MAX_ITEMS: 100, INGEST_MAX_CONCURRENT_REQUESTS: 1 },
    logger: createLogger('in-flight-test', 'silent'),
    keys: {
      // The key check of a sender named 'slow' waits until released: its request holds the slot.
      resolve: async (key: string) => {
        if (key === 'slow') await held;
        return { district_id: 'd1', source: 'agent', name: 'n', created_at: '', key_id: 'fake' };
      },
    },
    sink: { send: async () => undefined },
  });
  const post = (url: string, key = 'good') =>
    app.inject({
      method: 'POST',
      url,
      payload: '[]',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    });
  const slow = post('/v1/events', 'slow');
  await new Promise((r) => setTimeout(r, 50)); // past the in-flight hook, waiting on its key
  for (const url of ['/v1/events', '/%761/events']) {
    const res = await post(url);
    expect([url, res.statusCode, res.json()]).toEqual([url, 503, expect.objectContaining({ error: 'overloaded' })]);
  }
  // Probes are not counted, whatever their path looks like.
  expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  expect((await app.inject({ method: 'GET', url: '/%68ealthz' })).statusCode).toBe(200);
  release();
  expect((await slow).statusCode).toBe(202);
  expect((await post('/%761/events')).statusCode).toBe(202);
  await app.close();
});
