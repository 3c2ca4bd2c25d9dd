import net from 'node:net';
import type { TestEnv } from '@edusage/testkit';
import type { DeadLetter, RawMessage } from '@edusage/contracts';
import type { IngestService } from '../src/app';
import type { IngestResponse } from '../src/server';
import { TopicCollector, isoMinutesAgo, startIngestSuite, type IngestSuite } from './helpers';

// Issue 11 finding 10: a trickled body held a socket forever, nothing bounded the requests in
// flight, and a body of deeply nested brackets answered 500.

let env: TestEnv;
let service: IngestService;
let collector: TopicCollector;
let agentKey: string;
let suite: IngestSuite;

beforeAll(async () => {
  suite = await startIngestSuite('ingest_request_limits', {
    INGEST_REQUEST_TIMEOUT_MS: '3000',
    INGEST_HEADERS_TIMEOUT_MS: '2000',
    INGEST_MAX_CONCURRENT_REQUESTS: '2',
    INGEST_MAX_JSON_DEPTH: '20',
  });
  ({ env, service, collector } = suite);
  agentKey = (await suite.keys.create({ districtId: 'd1', source: 'agent', name: 'agents' })).key;
});

afterAll(async () => {
  await suite?.stop();
});

/** Opens a request whose body arrives one byte per `everyMs`; resolves what the server did to it. */
function trickle(everyMs: number) {
  const { port } = new URL(service.url!);
  const socket = net.connect(Number(port), '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => undefined);
  socket.write(
    [
      'POST /v1/events HTTP/1.1',
      'host: 127.0.0.1',
      'content-type: application/json',
      `authorization: Bearer ${agentKey}`,
      'content-length: 100000',
      '',
      '',
    ].join('\r\n'),
  );
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write('[');
  }, everyMs);
  const started = Date.now();
  const closed = new Promise<{ afterMs: number; received: string }>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - started, received });
    }),
  );
  return { closed, destroy: () => socket.destroy() };
}

function post(body: string, contentType = 'application/json', requestId?: string) {
  return fetch(`${service.url}/v1/events`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      authorization: `Bearer ${agentKey}`,
      ...(requestId ? { 'x-request-id': requestId } : {}),
    },
    body,
  });
}

const event = (id: string) =>
  JSON.stringify({
    event_id: id,
    occurred_at: isoMinutesAgo(5),
    type: 'page_view',
    user: { sourced_id: 'u1' },
    app: { domain: 'khanacademy.org' },
  });

test('a body trickled one byte at a time is cut by INGEST_REQUEST_TIMEOUT_MS', async () => {
  const t = trickle(500);
  const outcome = await Promise.race([
    t.closed,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 30_000)),
  ]);
  t.destroy();
  expect(outcome).not.toBeNull();
  expect(outcome!.received).toMatch(/^HTTP\/1\.1 408/);
}, 60_000);

test('requests over INGEST_MAX_CONCURRENT_REQUESTS get 503 overloaded with Retry-After; capacity comes back', async () => {
  const slow = [trickle(200), trickle(200)];
  await new Promise((r) => setTimeout(r, 500)); // both are past their headers and hold a slot
  const res = await post(event('over-capacity'));
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(await res.json()).toMatchObject({ error: 'overloaded' });
  // Health and metrics are not v1 traffic: they still answer while the API is full.
  expect((await fetch(`${service.url}/healthz`)).status).toBe(200);

  for (const s of slow) s.destroy();
  await Promise.all(slow.map((s) => s.closed));
  const again = await post(event('after-capacity'));
  expect(again.status).toBe(202);
}, 60_000);

test('deeply nested JSON is a 400 naming the depth and where, not a 500', async () => {
  const depth = 200_000; // about 400 KB
  const res = await post('['.repeat(depth) + ']'.repeat(depth), 'application/json', 'req-deep');
  expect(res.status).toBe(400);
  const body = (await res.json()) as IngestResponse;
  expect(body.accepted).toBe(0);
  expect(body.rejected).toHaveLength(1);
  // The 21st bracket (index 20) opens level 21, one over the limit of 20.
  expect(body.rejected[0]!.reason.message).toMatch(/nested deeper than 20 .*line 1, column 21/);
  const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, (m) => (m.origin ?? '').startsWith('req-deep'), 1);
  expect(dlq[0]!.value.reason.code).toBe('malformed_json');
}, 60_000);

test('NDJSON: a too-deep line is rejected by its line number, the good lines beside it are accepted', async () => {
  const deep = JSON.stringify({ event_id: 'x', nest: JSON.parse('['.repeat(30) + ']'.repeat(30)) as unknown });
  const res = await post(
    [event('nd-deep-1'), deep, event('nd-deep-3')].join('\n'),
    'application/x-ndjson',
    'req-nd-deep',
  );
  expect(res.status).toBe(202);
  const body = (await res.json()) as IngestResponse;
  expect(body.accepted).toBe(2);
  expect(body.rejected.map((r) => [r.line, r.reason.code])).toEqual([[2, 'malformed_json']]);
  expect(body.rejected[0]!.reason.message).toMatch(/line 2: .*nested deeper than 20/);
  const raw = await collector.waitFor<RawMessage>(env.topics.raw, (m) => m.origin === 'req-nd-deep', 2);
  expect(raw.map((m) => m.value.event.event_id)).toEqual(['nd-deep-1', 'nd-deep-3']);
}, 60_000);
