/**
 * Requests whose client leaves before the answer is complete are audited too, once, marked aborted:
 * a CSV answer (a stream) abandoned after its first bytes, and a request dropped while its handler
 * still waits on ClickHouse (its answer, sent later, reaches no one and adds no second row). Over real
 * HTTP (the harness's API with one more list endpoint, of 300,000 rows, listening on a free port).
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { ENDPOINTS, defineEndpoint } from '@edusage/api';
import { queryRows } from '@edusage/clickhouse';
import { waitFor } from '@edusage/testkit';
import { serverOf, startHarness, type Harness } from './harness';

const manyRows = defineEndpoint({
  method: 'GET',
  path: '/v1/test/many-rows',
  tag: 'test',
  summary: 'A list long enough that its CSV cannot sit in the socket buffers at once',
  roles: ['admin'],
  query: z.strictObject({ format: z.enum(['json', 'csv']).optional() }),
  response: z.object({ n: z.number(), text: z.string() }),
  list: true,
  async handle() {
    const rows = Array.from({ length: 300_000 }, (_, n) => ({ n, text: `row ${n} of the many rows` }));
    return { kind: 'list', meta: {}, rows };
  },
});

let h: Harness;
let app: FastifyInstance;
let server: Awaited<ReturnType<typeof serverOf>>;
let port: number;
/** Set: ClickHouse queries of the API wait for it (the handler is "waiting on its query"). */
let hold: Promise<void> | null = null;
let held = 0;
const run = randomBytes(3).toString('hex');

beforeAll(async () => {
  h = await startHarness('api_audit_abort');
  const query = h.api.deps.ch.query.bind(h.api.deps.ch);
  h.api.deps.ch.query = (async (params: never) => {
    if (hold !== null) {
      held++;
      await hold;
    }
    return query(params);
  }) as typeof h.api.deps.ch.query;
  server = await serverOf(h, { endpoints: [...ENDPOINTS, manyRows] });
  app = server.app;
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
}, 180_000);
afterAll(async () => {
  await server?.close();
  await h?.close();
});

/** A GET over HTTP; `leave` decides, on the response or before one, when the client hangs up. */
function get(
  path: string,
  requestId: string,
  leave: 'after-first-bytes' | 'never' | { when: Promise<void> },
): Promise<{ status: number; bytes: number; left: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path,
        headers: { authorization: `Bearer ${h.tokens.admin}`, 'x-request-id': requestId },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (leave === 'after-first-bytes') {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, bytes, left: true });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, left: false }));
      },
    );
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    if (typeof leave === 'object')
      void leave.when.then(() => {
        req.destroy();
        resolve({ status: 0, bytes: 0, left: true });
      });
  });
}

interface Row {
  request_id: string;
  route: string;
  status: number;
  aborted: number;
  token_id: string;
}
const audited = (ids: string[]) =>
  queryRows<Row>(
    h.ch,
    `SELECT request_id, route, status, aborted, token_id FROM api_audit_log
     WHERE request_id IN (${ids.map((id) => `'${id}'`).join(', ')}) ORDER BY request_id`,
  );
const auditedSoon = (ids: string[], n: number) =>
  waitFor(
    async () => {
      await h.api.audit.flush();
      return audited(ids);
    },
    (rows) => rows.length >= n,
    { timeoutMs: 20_000, what: `audit entries of ${ids.join(', ')}` },
  );

test('a CSV answer abandoned midway is audited once, aborted; a complete one once, not aborted', async () => {
  const [abandoned, complete, injected] = [`${run}-csv-abandoned`, `${run}-csv-complete`, `${run}-csv-injected`];
  const left = await get('/v1/test/many-rows?format=csv', abandoned, 'after-first-bytes');
  expect(left).toMatchObject({ status: 200, left: true });
  const whole = await get('/v1/test/many-rows?format=csv', complete, 'never');
  expect(whole.bytes).toBeGreaterThan(8_000_000);
  expect(left.bytes).toBeLessThan(whole.bytes);
  // As the other suites send theirs (light-my-request): complete too.
  const res = await app.inject({
    method: 'GET',
    url: '/v1/test/many-rows?format=csv',
    headers: { authorization: `Bearer ${h.tokens.admin}`, 'x-request-id': injected },
  });
  expect(res.body.length).toBe(whole.bytes);

  const rows = await auditedSoon([abandoned, complete, injected], 3);
  const tokenId = rows[0]!.token_id;
  expect(tokenId).toMatch(/^[0-9a-f]{12}$/);
  expect(rows).toEqual([
    { request_id: abandoned, route: '/v1/test/many-rows', status: 200, aborted: 1, token_id: tokenId },
    { request_id: complete, route: '/v1/test/many-rows', status: 200, aborted: 0, token_id: tokenId },
    { request_id: injected, route: '/v1/test/many-rows', status: 200, aborted: 0, token_id: tokenId },
  ]);
});

test('a request dropped while its handler waits on ClickHouse is audited once, aborted, with no status', async () => {
  const id = `${run}-dropped`;
  let release!: () => void;
  hold = new Promise((r) => (release = r));
  held = 0;
  const inHandler = waitFor(
    async () => held,
    (n) => n > 0,
    { timeoutMs: 10_000, what: 'the query held' },
  );
  try {
    await get('/v1/dead-letters', id, { when: inHandler.then(() => undefined) });
    const rows = await auditedSoon([id], 1);
    expect(rows).toEqual([
      { request_id: id, route: '/v1/dead-letters', status: 0, aborted: 1, token_id: rows[0]!.token_id },
    ]);
  } finally {
    hold = null;
    release();
  }
  // The handler answers now, to no one: still one row.
  await new Promise((r) => setTimeout(r, 1_000));
  await h.api.audit.flush();
  expect((await audited([id])).length).toBe(1);
});
