import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { TestEnv } from '@edusage/testkit';
import { createLogger } from '@edusage/logging';
import type { DeadLetter, RawMessage } from '@edusage/contracts';
import { ApiKeyStore, type ResolvedKey } from '../src/apikeys';
import type { IngestService } from '../src/app';
import { type IngestConfig } from '../src/config';
import { keyEventLimit, redisEventBudgets } from '../src/key-event-limit';
import { createMetrics } from '../src/metrics';
import { buildServer } from '../src/server';
import { KafkaUnavailableError } from '../src/sink';
import { TopicCollector, isoMinutesAgo, startIngestSuite, type IngestSuite } from './helpers';

// Each API key's events per minute (INGEST_KEY_EVENTS_PER_MINUTE, or the key's own `keys limit`),
// counted in Redis, through the real service on Kafka and Redis.

let env: TestEnv;
let config: IngestConfig;
let service: IngestService;
let collector: TopicCollector;
let redis: Redis;
let store: ApiKeyStore;

const DEFAULT_PER_MINUTE = 5;
let suite: IngestSuite;

beforeAll(async () => {
  suite = await startIngestSuite('ingest_key_rate_limit', {
    INGEST_KEY_EVENTS_PER_MINUTE: String(DEFAULT_PER_MINUTE),
    // Every request looks its key up, so a limit changed with `keys limit` applies at once.
    INGEST_KEY_CACHE_MS: '0',
  });
  ({ env, config, service, collector, redis } = suite);
  store = suite.keys;
});

afterAll(async () => {
  await suite?.stop();
});

async function newKey(name: string, eventsPerMinute?: number) {
  const { key, entry } = await store.create({
    districtId: 'd1',
    source: 'extension',
    name,
    ...(eventsPerMinute !== undefined ? { eventsPerMinute } : {}),
  });
  return { key, id: entry.id };
}

const event = (id: string) => ({
  event_id: id,
  occurred_at: isoMinutesAgo(5),
  type: 'heartbeat',
  user: { device_id: 'dev1' },
  app: { domain: 'example.org' },
});

async function post(key: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${service.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body,
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as { error?: string; message?: string; accepted?: number },
  };
}

const send = (key: string, ids: string[]) => post(key, JSON.stringify(ids.map(event)));
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}-${randomUUID()}`);

test('a key is let in while its minute has room, then refused with 429 until the minute ends; nothing refused is produced', async () => {
  const a = await newKey('limited by the default');
  const first = ids('a1', 3);
  const second = ids('a2', 3);
  expect(await send(a.key, first)).toMatchObject({ status: 202, body: { accepted: 3 } });
  // 3 of 5 taken: room left, so all 3 of the next request go in (the limit is not split across items).
  expect(await send(a.key, second)).toMatchObject({ status: 202, body: { accepted: 3 } });

  const refusedIds = ids('a3', 1);
  const refused = await send(a.key, refusedIds);
  expect(refused.status).toBe(429);
  expect(refused.body.error).toBe('key_rate_limited');
  expect(refused.body.message).toContain(a.id);
  expect(refused.body.message).toContain('INGEST_KEY_EVENTS_PER_MINUTE');
  expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);

  // Refused before its body is read: a body that is not gzip, yet 429 (not 400 bad_gzip).
  const unread = await post(a.key, 'not gzip', { 'content-encoding': 'gzip' });
  expect(unread.status).toBe(429);
  expect(unread.body.error).toBe('key_rate_limited');
  // Nor is a body that is not JSON dead-lettered.
  expect((await post(a.key, `not json ${randomUUID()}`)).status).toBe(429);

  // The budget is in Redis, with the window's expiry.
  const counter = `${config.REDIS_KEY_PREFIX}ingest:ratelimit:key:${a.id}`;
  // The events let in, not the refused ones.
  expect(Number(await redis.get(counter))).toBe(6);
  const ttl = await redis.pttl(counter);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(60_000);

  const raw = await collector.waitFor<RawMessage>(
    env.topics.raw,
    (v) => [...first, ...second, ...refusedIds].includes(v.event.event_id),
    6,
  );
  expect(raw.map((m) => m.value.event.event_id).sort()).toEqual([...first, ...second].sort());
  expect(
    collector.messages.filter(
      (m) => m.topic === env.topics.dlq && String((m.value as DeadLetter).payload).includes('not json'),
    ),
  ).toEqual([]);

  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  expect(metrics).toMatch(/^edusage_ingest_requests_refused_total\{route="\/v1\/events",code="key_rate_limited"\} 3$/m);
});

test("other keys keep their budgets; a key's own limit (or none) wins over the default", async () => {
  const a = await newKey('spent');
  await send(a.key, ids('spent', DEFAULT_PER_MINUTE));
  expect((await send(a.key, ids('spent-more', 1))).status).toBe(429);

  const b = await newKey('another key of the district');
  expect(await send(b.key, ids('b', 2))).toMatchObject({ status: 202, body: { accepted: 2 } });

  const unlimited = await newKey('network monitor', 0);
  for (let i = 0; i < 3; i++)
    expect(await send(unlimited.key, ids(`u${i}`, 10))).toMatchObject({ status: 202, body: { accepted: 10 } });

  const own = await newKey('one device', 2);
  expect((await send(own.key, ids('own', 2))).status).toBe(202);
  const refused = await send(own.key, ids('own-more', 1));
  expect(refused.status).toBe(429);
  expect(refused.body.message).toMatch(/its 2 events a minute \(its own limit/);
});

test('a limit raised with keys limit applies at once, also to a key this server refused', async () => {
  const a = await newKey('raised later');
  await send(a.key, ids('r', DEFAULT_PER_MINUTE));
  expect((await send(a.key, ids('r-more', 1))).status).toBe(429);
  const changed = await store.setLimit(a.id, 1_000);
  expect(changed.map((e) => e.events_per_minute)).toEqual([1_000]);
  expect(await send(a.key, ids('r-after', 3))).toMatchObject({ status: 202, body: { accepted: 3 } });
  // Back to the default: the minute's count (9) is past it again.
  await store.setLimit(a.id, null);
  expect((await store.list()).find((e) => e.id === a.id)?.events_per_minute).toBeUndefined();
  expect((await send(a.key, ids('r-default', 1))).status).toBe(429);
});

test('a refused batch takes nothing: a limit raised after a refusal of many events lets the key in', async () => {
  const a = await newKey('refused a large batch');
  await send(a.key, ids('big', DEFAULT_PER_MINUTE));
  expect((await send(a.key, ids('big-refused', 500))).status).toBe(429);
  await store.setLimit(a.id, 2 * DEFAULT_PER_MINUTE);
  expect(await send(a.key, ids('big-after', 3))).toMatchObject({ status: 202, body: { accepted: 3 } });
  expect(Number(await redis.get(`${config.REDIS_KEY_PREFIX}ingest:ratelimit:key:${a.id}`))).toBe(
    DEFAULT_PER_MINUTE + 3,
  );
});

test('a request Kafka did not take gives its events back (its retry is not charged twice)', async () => {
  // The real budgets in Redis, a sink whose Kafka is down.
  const limited: ResolvedKey = {
    district_id: 'd1',
    source: 'agent',
    name: 'n',
    created_at: '',
    key_id: `kafka-down-${randomUUID()}`,
    events_per_minute: 4,
  };
  let kafkaDown = true;
  const metrics = createMetrics({ defaultMetrics: false });
  const app = await buildServer({
    config: { INGEST_MAX_BODY_BYTES: 1024 * 1024, INGEST_MAX_ITEMS: 100 },
    logger: createLogger('key-rate-limit-kafka-down', 'silent'),
    keys: { resolve: async (k) => (k === 'good' ? limited : null) },
    sink: {
      send: async () => {
        if (kafkaDown) throw new KafkaUnavailableError('broker down');
      },
    },
    metrics,
    keyLimit: keyEventLimit({
      budgets: redisEventBudgets(redis, config.REDIS_KEY_PREFIX),
      defaultPerMinute: 0,
      metrics,
    }),
    readiness: { kafka: async () => true, redis: async () => true },
    stopping: () => false,
  });
  const inject = () =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: 'Bearer good', 'content-type': 'application/json' },
      payload: JSON.stringify(ids('kd', 3).map(event)),
    });
  try {
    for (let i = 0; i < 3; i++) expect((await inject()).statusCode).toBe(503);
    const counter = `${config.REDIS_KEY_PREFIX}ingest:ratelimit:key:${limited.key_id}`;
    expect(Number(await redis.get(counter))).toBe(0);
    kafkaDown = false;
    expect((await inject()).statusCode).toBe(202);
    expect(Number(await redis.get(counter))).toBe(3);
  } finally {
    await app.close();
  }
});

test('the xAPI endpoint counts statements against the same budget', async () => {
  const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');
  const [statement] = JSON.parse(
    readFileSync(
      path.join(fixtures, 'moodle-logstore_xapi/mod_page/course_module_viewed/existing_module/statements.json'),
      'utf8',
    ),
  ) as Record<string, unknown>[];
  const lrs = await newKey('lms', 2);
  const postStatements = (n: number) =>
    fetch(`${service.url}/v1/xapi/statements`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`lms:${lrs.key}`).toString('base64')}`,
        'content-type': 'application/json',
        'x-experience-api-version': '1.0.3',
      },
      body: JSON.stringify(
        Array.from({ length: n }, () => ({ ...statement, id: randomUUID(), timestamp: isoMinutesAgo(5) })),
      ),
    });
  expect((await postStatements(2)).status).toBe(200);
  const refused = await postStatements(1);
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(refused.headers.get('x-experience-api-version')).toBe('1.0.3');
});
