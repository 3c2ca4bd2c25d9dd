/**
 * Duplicate claims in ClickHouse (src/dedup.ts) on the real services: what a crash between the INSERT
 * and the Kafka commit leaves behind is redelivered and still owned by its messages, while copies that
 * come back later, in other batches, are recognised.
 */
import type { SinkMessage } from '../src/batch-gathering';
import { createClickHouse, insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { EnrichedEvent } from '@edusage/contracts';
import { createConsumer, createKafka, createProducer, produceJson, type Kafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { deadLetterHandler, enrichedHandler } from '../src/handlers';
import { SinkWorker } from '../src/sink-worker';
import { makeEnrichedEvents, referenceDistrictRollup } from './enriched-fixtures';

jest.setTimeout(240_000);

const logger = createLogger('aggregate-dedup-test', 'warn');

async function count(ch: ClickHouseClient, where = '1'): Promise<number> {
  const [row] = await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM usage_events WHERE ${where}`);
  return Number(row?.n ?? 0);
}

async function districtEvents(ch: ClickHouseClient): Promise<number> {
  const [row] = await queryRows<{ n: string }>(ch, 'SELECT sumMerge(events) AS n FROM rollup_district_app_daily');
  return Number(row?.n ?? 0);
}

async function produce(kafka: Kafka, topic: string, events: EnrichedEvent[]): Promise<void> {
  const producer = await createProducer(kafka);
  try {
    await produceJson(
      producer,
      topic,
      events.map((e) => ({ key: `${e.district_id}|${e.person_id}`, value: e })),
    );
  } finally {
    await producer.disconnect();
  }
}

async function startWorker(env: TestEnv, kafka: Kafka, ch: ClickHouseClient, group: string): Promise<SinkWorker> {
  const producer = await createProducer(kafka);
  const worker = new SinkWorker({
    consumer: await createConsumer(kafka, group),
    producer,
    ch,
    rowWriter: ch,
    logger,
    dlqTopic: env.topics.dlq,
    concurrency: 1,
    handlers: { [env.topics.enriched]: enrichedHandler(ch), [env.topics.dlq]: deadLetterHandler() },
  });
  await worker.start();
  const stop = worker.stop.bind(worker);
  worker.stop = async () => {
    await stop();
    await producer.disconnect();
  };
  return worker;
}

describe('duplicate claims in ClickHouse', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  let kafka: Kafka;

  beforeAll(async () => {
    // One partition: the offsets a fresh topic gives the produced messages are 0, 1, 2, …
    env = await createTestEnv('aggregate_dedup', { partitions: 1 });
    ch = createClickHouse(env.config);
    kafka = createKafka(env.config, logger);
  });

  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
  });

  it('lets a batch redelivered after a crash between insert and commit keep its events, and drops later copies', async () => {
    const events = makeEnrichedEvents(400, 21, 0.1); // 400 events + 40 copies
    const uniqueCount = new Set(events.map((e) => e.dedup_key)).size;
    await produce(kafka, env.topics.enriched, events);
    const admin = kafka.admin();
    await admin.connect();
    const [end] = await admin.fetchTopicOffsets(env.topics.enriched);
    await admin.disconnect();
    expect(end?.high).toBe(String(events.length));

    // What a worker that died right after its INSERT leaves: claims and rows stored, no rollups, no commit.
    const handler = enrichedHandler(ch);
    const messages = events.map(
      (e, i) => ({ offset: String(i), value: Buffer.from(JSON.stringify(e)) }) as SinkMessage,
    );
    const crashed = await handler.prepare(env.topics.enriched, 0, messages);
    expect(crashed.duplicates).toBe(events.length - uniqueCount);
    await insertRows(
      ch,
      'usage_events',
      crashed.rows.map((r) => r.row),
    );
    expect(await count(ch)).toBe(uniqueCount);

    // The next owner gets every message again (nothing was committed).
    const worker = await startWorker(env, kafka, ch, `dedup-redelivery-${env.config.CLICKHOUSE_DATABASE}`);
    try {
      await waitFor(
        () => districtEvents(ch),
        (n) => n >= uniqueCount,
        { what: 'redelivered batch rolled up' },
      );
      expect(await count(ch)).toBe(uniqueCount);
      expect(worker.stats.alreadyStored).toBe(uniqueCount);

      // Copies re-sent later, in batches of their own (a client retry, a re-imported file).
      const resent = events.slice(0, 50).map((e) => ({ ...e, enriched_at: new Date().toISOString() }));
      await produce(kafka, env.topics.enriched, resent);
      await waitFor(
        () => Promise.resolve(worker.stats.duplicates),
        (n) => n >= events.length - uniqueCount + resent.length,
        { what: 're-sent copies seen' },
      );
      expect(await count(ch)).toBe(uniqueCount);
      const expected = [...referenceDistrictRollup(events).values()].reduce((s, c) => s + c.events, 0);
      expect(await districtEvents(ch)).toBe(expected);
    } finally {
      await worker.stop();
    }
  });

  it('decides the same after a claims INSERT whose response was lost (it reached ClickHouse)', async () => {
    const events = makeEnrichedEvents(200, 44, 0.25);
    const batch = events.map(
      (e, i) => ({ offset: String(500_000 + i), value: Buffer.from(JSON.stringify(e)) }) as SinkMessage,
    );
    const firstOfKey = new Map<string, string>();
    batch.forEach((m, i) => {
      if (!firstOfKey.has(events[i]!.dedup_key)) firstOfKey.set(events[i]!.dedup_key, m.offset);
    });
    const expected = [...firstOfKey.values()];
    // A client whose INSERT into event_claims is carried out, but whose answer never arrives.
    const lossy = Object.assign(Object.create(ch) as ClickHouseClient, {
      insert: async (params: Parameters<ClickHouseClient['insert']>[0]) => {
        const result = await ch.insert(params);
        if (params.table.includes('event_claims')) throw new Error('socket hang up (simulated lost response)');
        return result;
      },
    });
    await expect(enrichedHandler(lossy).prepare(env.topics.enriched, 5, batch)).rejects.toThrow('socket hang up');
    // The sink retries the batch: its messages find their own claims and keep every first copy.
    const retried = await enrichedHandler(ch).prepare(env.topics.enriched, 5, batch);
    expect(retried.rows.map((r) => r.offset)).toEqual(expected);
    expect(retried.duplicates).toBe(events.length - expected.length);
  });

  it('treats one dedup_key on two different local days as two events (the identity includes the day)', async () => {
    const [base] = makeEnrichedEvents(1, 33, 0);
    const onDay = (day: string): EnrichedEvent => ({ ...base!, local_date: day, occurred_at: `${day}T15:00:00.000Z` });
    const handler = enrichedHandler(ch);
    const batch = [onDay('2026-03-02'), onDay('2026-03-02'), onDay('2026-03-03')].map(
      (e, i) => ({ offset: String(900_000 + i), value: Buffer.from(JSON.stringify(e)) }) as SinkMessage,
    );
    const prepared = await handler.prepare(env.topics.enriched, 0, batch);
    expect(prepared.rows.map((r) => r.offset)).toEqual(['900000', '900002']);
    expect(prepared.duplicates).toBe(1);
    // Asked again (the same messages redelivered): the same answer, from the stored claims this time.
    const again = await handler.prepare(env.topics.enriched, 0, batch);
    expect(again.rows.map((r) => r.offset)).toEqual(['900000', '900002']);
  });
});
