import { Redis } from 'ioredis';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import {
  deadLetterSchema,
  enrichedEventSchema,
  rawMessageSchema,
  userPartitionKey,
  type DeadLetter,
  type EnrichedEvent,
  type RawMessage,
} from '@edusage/contracts';
import { createConsumer, createKafka, createProducer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import {
  addErased,
  datasetKeys,
  loadEnrichConfig,
  newVersionId,
  saveRosterToRedis,
  startEnrichWorker,
  type EnrichConfig,
  type EnrichWorker,
} from '../src';
import { documentedEventId, documentedPseudonym } from './documented-ids';
import { raw, sampleRoster } from './helpers';

// Review finding: a district whose `current` roster version has no data (what two concurrent imports
// left) kept enrich from starting: the first roster load failed 20 times and the process exited 1,
// stopping every district. Now enrich starts; that district's events are dead-lettered
// (`roster_unavailable`, replayable) rather than enriched as if it had no roster, and /readyz says so.

jest.setTimeout(120_000);

const KEY = 'roster-unreadable-key-0123456789';
let env: TestEnv;
let config: EnrichConfig;
let redis: Redis;
let kafka: Kafka;
let producer: Producer;
let reader: Consumer;
let worker: EnrichWorker | null = null;
const enriched = new Map<string, EnrichedEvent>();
const dead: DeadLetter[] = [];

beforeAll(async () => {
  env = await createTestEnv('enrich_unreadable', { partitions: 1 });
  config = loadEnrichConfig({
    ...env.env,
    PSEUDONYM_KEY: KEY,
    ENRICH_GROUP_ID: `enrich-${env.config.CLICKHOUSE_DATABASE}`,
    ENRICH_RELOAD_INTERVAL_MS: '300',
  });
  redis = new Redis(config.REDIS_URL);
  kafka = createKafka(config, createLogger('enrich-unreadable-test', 'warn'));
  producer = await createProducer(kafka);
  reader = await createConsumer(kafka, `reader-${env.config.CLICKHOUSE_DATABASE}`);
  await reader.subscribe({ topics: [env.topics.enriched, env.topics.dlq], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const value = JSON.parse(message.value!.toString()) as unknown;
      if (topic === env.topics.enriched) {
        const e = enrichedEventSchema.parse(value);
        enriched.set(e.event_id, e);
      } else dead.push(deadLetterSchema.parse(value));
    },
  });
});

afterAll(async () => {
  await reader?.disconnect();
  await worker?.stop();
  await producer?.disconnect();
  redis?.disconnect();
  await env?.cleanup();
});

async function send(events: RawMessage[]): Promise<void> {
  await producer.send({
    topic: env.topics.raw,
    acks: -1,
    messages: events.map((m) => ({ key: userPartitionKey(m.event), value: JSON.stringify(m) })),
  });
}

const stored = (district: string, eventId: string) => documentedEventId(KEY, district, 'agent', eventId);

test('enrich starts with an unreadable roster; that district is dead-lettered until imported again', async () => {
  await saveRosterToRedis(redis, config.REDIS_KEY_PREFIX, 'd2', sampleRoster());
  const missing = newVersionId();
  await redis.set(datasetKeys(config.REDIS_KEY_PREFIX, 'roster', 'd1').current, missing);
  await redis.sadd(datasetKeys(config.REDIS_KEY_PREFIX, 'roster', 'd1').districts, 'd1');
  await addErased(redis, config.REDIS_KEY_PREFIX, 'd1', [documentedPseudonym(KEY, 'd1', 'gone-student')]);

  const logger = createLogger('enrich-unreadable-worker', 'error');
  let timer: NodeJS.Timeout | undefined;
  const tooLong = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('enrich did not start within 30 s (still retrying the roster load)')),
      30_000,
    );
  });
  try {
    worker = await Promise.race([startEnrichWorker({ config, logger, kafka, redis }), tooLong]);
  } finally {
    clearTimeout(timer);
  }
  expect((await worker.registry.health.check()).ok).toBe(false);

  await send([
    raw({ event_id: 'erased-1', district_id: 'd1', user: { sourced_id: 'gone-student' }, app: { app_id: 'ixl' } }),
    raw({ event_id: 'held-1', district_id: 'd1', user: { sourced_id: 'stu1' }, app: { app_id: 'ixl' } }),
    raw({ event_id: 'fine-1', district_id: 'd2', user: { sourced_id: 'stu1' }, app: { app_id: 'ixl' } }),
  ]);
  await waitFor(
    async () => enriched.has(stored('d2', 'fine-1')) && dead.length > 0,
    (ok) => ok,
    { timeoutMs: 60_000, what: "d2's event enriched and d1's dead-lettered" },
  );
  expect(enriched.get(stored('d2', 'fine-1'))).toMatchObject({ person_resolved: true, role: 'student' });
  // d1's event is neither enriched without its roster nor lost: a replayable letter saying why.
  expect(enriched.has(stored('d1', 'held-1'))).toBe(false);
  expect(dead).toHaveLength(1); // the erased person's event is dropped, as always
  expect(dead[0]).toMatchObject({ stage: 'enrich', source: 'agent', district_id: 'd1' });
  expect(dead[0]!.reason.code).toBe('roster_unavailable');
  expect(dead[0]!.reason.message).toContain('import its roster again');
  expect(rawMessageSchema.parse(JSON.parse(dead[0]!.payload)).event.event_id).toBe('held-1');

  // Imported again: picked up by the next reload, enriched with it, ready again.
  const again = await saveRosterToRedis(redis, config.REDIS_KEY_PREFIX, 'd1', sampleRoster());
  await waitFor(
    async () => worker!.registry.rosterVersion('d1'),
    (v) => v === again.version,
    { what: 'the re-imported roster loaded' },
  );
  await send([raw({ event_id: 'after-1', district_id: 'd1', user: { sourced_id: 'stu1' }, app: { app_id: 'ixl' } })]);
  await waitFor(
    async () => enriched.get(stored('d1', 'after-1')),
    (e) => e !== undefined,
    { timeoutMs: 60_000, what: "d1's event after the import" },
  );
  expect(enriched.get(stored('d1', 'after-1'))).toMatchObject({
    person_resolved: true,
    person_id: documentedPseudonym(KEY, 'd1', 'stu1'),
  });
  expect((await worker.registry.health.check()).ok).toBe(true);
});
