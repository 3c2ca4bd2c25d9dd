import { Redis } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import { enrichedEventSchema, userPartitionKey, type RawMessage } from '@edusage/contracts';
import {
  createKafka,
  createProducer,
  deleteTopics,
  ensureTopics,
  readTopicToEnd,
  waitTopicsGone,
} from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { loadEnrichConfig, startEnrichWorker, type EnrichConfig, type EnrichWorker } from '../src';
import { documentedEventId } from './documented-ids';
import { raw } from './helpers';

jest.setTimeout(180_000);

const logger = createLogger('enrich-stop-test', 'warn');
const KEY = 'stop-test-pseudonym-key-01234567';

let env: TestEnv;
let config: EnrichConfig;
let redis: Redis;
let kafka: Kafka;
let producer: Producer;
let worker: EnrichWorker | null = null;

beforeAll(async () => {
  env = await createTestEnv('enrich_stop', { partitions: 1 });
  config = loadEnrichConfig({
    ...env.env,
    PSEUDONYM_KEY: KEY,
    DISTRICT_TIMEZONES: 'd1=America/Chicago',
    ENRICH_GROUP_ID: `enrich-${env.config.CLICKHOUSE_DATABASE}`,
  });
  redis = new Redis(config.REDIS_URL);
  kafka = createKafka(config, logger);
  producer = await createProducer(kafka);
});

afterAll(async () => {
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

/** The enrich group's committed offset of the raw topic's one partition ('-1': none). */
async function committed(): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId: config.ENRICH_GROUP_ID, topics: [env.topics.raw] });
    return topic?.partitions[0]?.offset ?? '-1';
  } finally {
    await admin.disconnect();
  }
}

/** The event ids on the enriched topic, in order (keyed digests of the sent ones). */
async function enrichedIds(): Promise<string[]> {
  const ids: string[] = [];
  await readTopicToEnd(kafka, env.topics.enriched, async (records) => {
    for (const r of records) ids.push(enrichedEventSchema.parse(JSON.parse(r.value!)).event_id);
  });
  return ids;
}

const events = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) =>
    raw({ event_id: `${prefix}-${i}`, user: { sourced_id: `s${i}` }, app: { app_id: 'docs' } }),
  );

// A stop while enrich's sends fail (here its output topic is gone) ends the back-off wait at once,
// commits nothing that was not sent, and the next worker enriches what was left, each event once.
test('a stop during failing sends is prompt, commits nothing unsent, and the next worker sends each event once', async () => {
  worker = await startEnrichWorker({ config, logger, kafka, redis });
  await send(events('before', 5));
  await waitFor(committed, (o) => o === '5', { what: 'the first five enriched and committed', timeoutMs: 60_000 });

  await deleteTopics(kafka, [env.topics.enriched]);
  await waitTopicsGone(kafka, [env.topics.enriched]);
  await send(events('during', 5));
  const retries = async () => (await worker!.metrics.sendRetries.get()).values[0]?.value ?? 0;
  // The seventh retry waits 10 s (the cap; 200 ms × 2⁶ is more) ± 25 %, 7.5–12.5 s: the stop comes early
  // in that wait even when another test file shares the machine. Without the stop signal it sat out the
  // wait and one more send attempt (7.4 s after the fourth retry, 12.6 s after the sixth); with it,
  // milliseconds, plus the stop's own work (leaving the group, closing clients), slower on a busy machine.
  await waitFor(retries, (n) => n >= 7, {
    what: 'seven retries of the failing send',
    timeoutMs: 120_000,
    intervalMs: 100,
  });
  const stopping = Date.now();
  await worker.stop();
  worker = null;
  const stopMs = Date.now() - stopping;
  expect(stopMs).toBeLessThan(6_000);
  expect(await committed()).toBe('5');

  await ensureTopics(kafka, [env.topics.enriched], 1);
  worker = await startEnrichWorker({ config, logger, kafka, redis });
  await waitFor(committed, (o) => o === '10', { what: 'the other five enriched and committed', timeoutMs: 60_000 });
  expect(await enrichedIds()).toEqual(
    events('during', 5).map((e) => documentedEventId(KEY, e.event.district_id, e.event.source, e.event.event_id)),
  );
});
