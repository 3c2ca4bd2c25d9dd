/**
 * Ingest against REAL outages (the unit tests fake them): a private Kafka broker that is killed, and a
 * private Redis that is stopped, while the real ingest service answers HTTP. While Kafka is down a POST
 * gets 503 + Retry-After and /readyz says not ready; while Redis is down a POST gets 503
 * `auth_unavailable` (never 401); once the server is back, the client's retries get 202 and every
 * event is in usage.raw.
 */
import { Redis } from 'ioredis';
import { createKafka, readTopicToEnd } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import type { RawMessage } from '@edusage/contracts';
import {
  createTestEnv,
  startPrivateKafka,
  startPrivateRedis,
  waitFor,
  type PrivateKafka,
  type PrivateRedis,
  type TestEnv,
} from '@edusage/testkit';
import { ApiKeyStore } from '../src/apikeys';
import { startIngest, type IngestService } from '../src/app';
import { loadIngestConfig, type IngestConfig } from '../src/config';
import { isoMinutesAgo } from './helpers';

jest.setTimeout(180_000);

const logger = createLogger('ingest-outage-test', process.env.TEST_LOG_LEVEL ?? 'fatal');

function batch(prefix: string, n: number): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      event_id: `${prefix}-${i}`,
      occurred_at: isoMinutesAgo(10),
      type: 'page_view',
      user: { sourced_id: `u${i % 5}` },
      app: { domain: 'khanacademy.org' },
    }),
  ).join('\n');
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { error?: string; accepted?: number };
}

async function post(service: IngestService, key: string, body: string): Promise<Answer> {
  const res = await fetch(`${service.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Answer['body'] };
}

/** A client that retries on 503 until it gets another answer (bounded: 120 s). */
async function postUntilAnswered(service: IngestService, key: string, body: string): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const deadline = Date.now() + 120_000; ;) {
    const a = await post(service, key, body);
    answers.push(a);
    if (a.status !== 503 || Date.now() > deadline) return answers;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function readiness(service: IngestService): Promise<{ status: number; kafka: boolean; redis: boolean }> {
  const res = await fetch(`${service.url}/readyz`);
  const body = (await res.json()) as { kafka: boolean; redis: boolean };
  return { status: res.status, kafka: body.kafka, redis: body.redis };
}

/** Event ids in usage.raw (each id once, however often it was written). */
async function rawEventIds(env: TestEnv): Promise<Set<string>> {
  const ids = new Set<string>();
  const kafka = createKafka(env.config, logger);
  await readTopicToEnd(kafka, env.topics.raw, async (records) => {
    for (const r of records) ids.add((JSON.parse(r.value ?? 'null') as RawMessage).event.event_id);
  });
  return ids;
}

async function createKey(config: IngestConfig): Promise<string> {
  const redis = new Redis(config.REDIS_URL);
  try {
    return (
      await new ApiKeyStore(redis, config.REDIS_KEY_PREFIX, 0).create({
        districtId: 'd1',
        source: 'agent',
        name: 'outage test',
      })
    ).key;
  } finally {
    redis.disconnect();
  }
}

describe('ingest with its Kafka broker really down', () => {
  let broker: PrivateKafka;
  let env: TestEnv;
  let service: IngestService;
  let key: string;

  beforeAll(async () => {
    broker = await startPrivateKafka();
    env = await createTestEnv('ingest_kafka_down', { kafkaBrokers: broker.brokers, partitions: 2 });
    const config = loadIngestConfig({ ...env.env, INGEST_PORT: '0', INGEST_PRODUCE_TIMEOUT_MS: '4000' });
    key = await createKey(config);
    service = await startIngest(config, logger, { listen: true });
  });

  afterAll(async () => {
    await service?.stop().catch(() => undefined);
    await env?.cleanup().catch(() => undefined);
    await broker?.cleanup();
  });

  it('answers 503 + Retry-After, is not ready, and loses nothing once the broker is back', async () => {
    const before = await post(service, key, batch('before', 20));
    expect(before.status).toBe(202);
    expect(before.body.accepted).toBe(20);
    expect((await readiness(service)).status).toBe(200);

    await broker.stop('SIGKILL');
    const during = await post(service, key, batch('during', 20));
    expect(during.status).toBe(503);
    expect(during.body.error).toBe('kafka_unavailable');
    expect(Number(during.retryAfter)).toBeGreaterThan(0);
    // The readiness answer is cached for a few seconds: wait for it to see the broker gone.
    const notReady = await waitFor(
      () => readiness(service),
      (r) => r.status === 503,
      { timeoutMs: 30_000, what: '/readyz to report not ready' },
    );
    expect(notReady.kafka).toBe(false);

    // A retrying client keeps getting 503 until the broker is back, then 202 for the whole batch.
    const retried = postUntilAnswered(service, key, batch('during', 20));
    await new Promise((r) => setTimeout(r, 3_000));
    await broker.start();
    const answers = await retried;
    expect(answers.slice(0, -1).every((a) => a.status === 503)).toBe(true);
    expect(answers.at(-1)).toMatchObject({ status: 202, body: { accepted: 20 } });
    await waitFor(
      () => readiness(service),
      (r) => r.status === 200,
      { timeoutMs: 30_000, what: '/readyz to report ready again' },
    );

    const want = new Set([...Array(20).keys()].flatMap((i) => [`before-${i}`, `during-${i}`]));
    expect([...(await rawEventIds(env))].sort()).toEqual([...want].sort());
  });
});

describe('ingest with its Redis really down', () => {
  let redis: PrivateRedis;
  let env: TestEnv;
  let service: IngestService;
  let key: string;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    env = await createTestEnv('ingest_redis_down', { redisUrl: redis.url, partitions: 2 });
    // No key cache: every request asks Redis, as a request with a key not seen lately does.
    const config = loadIngestConfig({ ...env.env, INGEST_PORT: '0', INGEST_KEY_CACHE_MS: '0' });
    key = await createKey(config);
    service = await startIngest(config, logger, { listen: true });
  });

  afterAll(async () => {
    await service?.stop().catch(() => undefined);
    await env?.cleanup().catch(() => undefined);
    await redis?.cleanup();
  });

  it('answers 503 auth_unavailable (not 401), is not ready, and accepts the retried batch once Redis is back', async () => {
    expect((await post(service, key, batch('before', 10))).status).toBe(202);

    await redis.stop('SIGTERM');
    const during = await post(service, key, batch('during', 10));
    expect(during.status).toBe(503);
    expect(during.body.error).toBe('auth_unavailable');
    expect(Number(during.retryAfter)).toBeGreaterThan(0);
    // A wrong key is not "unknown" either while the keys cannot be read.
    expect((await post(service, 'not-a-key', batch('wrong', 1))).status).toBe(503);
    const notReady = await readiness(service);
    expect(notReady).toMatchObject({ status: 503, redis: false });

    const retried = postUntilAnswered(service, key, batch('during', 10));
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.start();
    const answers = await retried;
    expect(answers.slice(0, -1).every((a) => a.status === 503 && a.body.error === 'auth_unavailable')).toBe(true);
    expect(answers.at(-1)).toMatchObject({ status: 202, body: { accepted: 10 } });
    expect((await readiness(service)).status).toBe(200);
    // The key check is real again: a wrong key is refused as unknown.
    expect((await post(service, 'not-a-key', batch('wrong', 1))).status).toBe(401);

    const want = new Set([...Array(10).keys()].flatMap((i) => [`before-${i}`, `during-${i}`]));
    expect([...(await rawEventIds(env))].sort()).toEqual([...want].sort());
  });
});
