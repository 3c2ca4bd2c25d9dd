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
        key === 'good' ? { district_id: 'd1', source: 'agent', name: 'n', created_at: '' } : null,
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
