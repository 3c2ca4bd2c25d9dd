import type { Producer } from 'kafkajs';
import pino from 'pino';
import { createLogger } from '@edusage/logging';
import { buildServer } from '../src/server';
import { KafkaSink, KafkaUnavailableError, MessageTooLargeError, type EventSink } from '../src/sink';
import type { KeyResolver, ResolvedKey } from '../src/apikeys';
import { CsvRowIds, csvRecordToEvent } from '../src/import';

// Unit tests with fakes: only for failures that cannot be staged on the shared Kafka/Redis.
// The pipeline itself is tested against the real services in http.test.ts and import.test.ts.

const logger = createLogger('ingest-unit', 'silent');
const record: ResolvedKey = {
  district_id: 'd1',
  source: 'agent',
  name: 'fake',
  created_at: new Date().toISOString(),
  key_id: 'fake',
};
const keys: KeyResolver = { resolve: async (k) => (k === 'good' ? record : null) };
const config = { INGEST_MAX_BODY_BYTES: 1024 * 1024, INGEST_MAX_ITEMS: 100 };
const event = {
  event_id: 'e1',
  occurred_at: new Date().toISOString(),
  type: 'use',
  user: { sourced_id: 'u1' },
  app: { domain: 'khanacademy.org' },
};

test('Kafka does not acknowledge → 503 with Retry-After, nothing claimed as accepted', async () => {
  const sink: EventSink = {
    send: async () => {
      throw new KafkaUnavailableError('broker down');
    },
  };
  const app = await buildServer({ config, logger, keys, sink });
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: 'Bearer good', 'content-type': 'application/json' },
    payload: JSON.stringify([event]),
  });
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.json()).toMatchObject({ error: 'kafka_unavailable' });
  expect(res.json().accepted).toBeUndefined();
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  expect(metrics.body).not.toMatch(/edusage_ingest_events_accepted_total\{/);
  expect(metrics.body).toMatch(
    /edusage_ingest_requests_refused_total\{route="\/v1\/events",code="kafka_unavailable"\} 1/,
  );
  await app.close();
});

test('a producer that never acknowledges is cut off by the timeout → 503', async () => {
  const producer = { sendBatch: () => new Promise(() => undefined) } as unknown as Producer;
  const sink = new KafkaSink(producer, { raw: 'usage.raw', dlq: 'usage.dlq' }, { timeoutMs: 200 });
  await expect(sink.send({ raw: [{ key: 'k', value: {} }], dlq: [] })).rejects.toBeInstanceOf(KafkaUnavailableError);
  const app = await buildServer({ config, logger, keys, sink });
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: 'Bearer good', 'content-type': 'application/json' },
    payload: JSON.stringify(event),
  });
  expect(res.statusCode).toBe(503);
  await app.close();
});

test('a message over the broker limit → 413; the log names topic, bytes, budget and event id, never the event', async () => {
  const lines: string[] = [];
  const captured = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const secret = { event_id: 'e-big', user: { sourced_id: 'stu-4711-secret', email: 'ada.pupil@school.example' } };
  let thrown: MessageTooLargeError | undefined;
  const sink: EventSink = {
    send: async (batch) => {
      thrown = new MessageTooLargeError(
        'one message for usage.raw takes 2000000 bytes; Kafka accepts at most 1000000 per batch',
        { topic: 'usage.raw', message: batch.raw[0]!, bytes: 2_000_000, budget: 1_000_000 },
      );
      throw thrown;
    },
  };
  const app = await buildServer({ config, logger: captured, keys, sink });
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: 'Bearer good', 'content-type': 'application/json' },
    payload: JSON.stringify({ ...event, ...secret }),
  });
  await app.close();
  expect(res.statusCode).toBe(413);
  expect(res.json()).toMatchObject({ error: 'message_too_large', message: expect.stringContaining('"e-big"') });
  // The event did reach the error (the 413 names it) …
  expect(JSON.stringify(thrown!.tooLarge!.message)).toContain('ada.pupil@school.example');
  const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(logged.find((l) => l.msg === 'a message is over the broker limit: answering 413')).toMatchObject({
    topic: 'usage.raw',
    bytes: 2_000_000,
    budget: 1_000_000,
    event_id: 'e-big',
  });
  // … but no log line, nor the error logged or serialized as such, carries its text.
  captured.warn({ err: thrown }, 'logged as an error');
  expect(lines.length).toBeGreaterThan(1);
  for (const text of [...lines, JSON.stringify(thrown), JSON.stringify({ err: thrown })]) {
    expect(text).not.toContain('ada.pupil@school.example');
    expect(text).not.toContain('stu-4711-secret');
  }
});

test('Redis down while checking the key → 503 auth_unavailable, not 401', async () => {
  const broken: KeyResolver = {
    resolve: async () => {
      throw new Error('connect ECONNREFUSED');
    },
  };
  const app = await buildServer({ config, logger, keys: broken, sink: { send: async () => undefined } });
  const res = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'x-api-key': 'good' }, payload: '[]' });
  expect(res.statusCode).toBe(503);
  expect(res.json().error).toBe('auth_unavailable');
  await app.close();
});

test('/readyz is 503 when a dependency is down; /healthz stays 200', async () => {
  const app = await buildServer({
    config,
    logger,
    keys,
    sink: { send: async () => undefined },
    readiness: { kafka: async () => false, redis: async () => true },
  });
  expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
  expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  await app.close();
});

test('CSV record → native event: flattened columns, numbers, deterministic id when event_id is empty', () => {
  const rec = {
    event_id: '',
    occurred_at: '2026-09-14T13:05:00-05:00',
    type: 'use',
    user_sourced_id: 's1',
    user_email: '',
    app_domain: 'khanacademy.org',
    active_seconds: '300',
    client_ip: '10.1.2.3',
  };
  const a = csvRecordToEvent(rec, new CsvRowIds());
  expect(a).toEqual({
    event_id: expect.stringMatching(/^csv:[0-9a-f]{40}$/),
    occurred_at: '2026-09-14T13:05:00-05:00',
    type: 'use',
    user: { sourced_id: 's1' },
    app: { domain: 'khanacademy.org' },
    active_seconds: 300,
    client_ip: '10.1.2.3',
  });
  // The same cells give the same id in another file (another import), in any column order, with empty cells or not.
  const reordered = Object.fromEntries(Object.entries(rec).reverse());
  const { user_email: _empty, ...withoutEmpty } = rec;
  expect(csvRecordToEvent(reordered, new CsvRowIds()).event_id).toBe(a.event_id);
  expect(csvRecordToEvent(withoutEmpty, new CsvRowIds()).event_id).toBe(a.event_id);
  expect(csvRecordToEvent({ ...rec, user_sourced_id: 's2' }, new CsvRowIds()).event_id).not.toBe(a.event_id);
  expect(csvRecordToEvent({ ...rec, active_seconds: 'lots' }, new CsvRowIds()).active_seconds).toBe('lots');
  expect(csvRecordToEvent({ ...rec, event_id: 'own-1' }, new CsvRowIds()).event_id).toBe('own-1');
});

test('CSV fallback ids: identical rows of one file are counted apart by occurrence, the same way in every import', () => {
  const row = { event_id: '', occurred_at: '2026-09-14T13:05:00Z', type: 'use', user_sourced_id: 's1', app_id: 'a' };
  const other = { ...row, user_sourced_id: 's2' };
  const first = new CsvRowIds();
  const ids = [row, other, row, row].map((r) => first.next(r));
  expect(new Set(ids).size).toBe(4);
  // Another import of the file with the `other` row deleted: the identical rows keep their ids in order.
  const again = new CsvRowIds();
  expect([row, row, row].map((r) => again.next(r))).toEqual([ids[0], ids[2], ids[3]]);
});
