import { Redis } from 'ioredis';
import { createClickHouse, queryRows } from '@edusage/clickhouse';
import { createConsumer, createKafka, createProducer, kafkaHealth, produceJson } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, waitFor, type TestEnv } from '../src';

// The foundation's round trips through the three real services, via the shared packages.
describe('real Kafka, ClickHouse and Redis round trips', () => {
  let env: TestEnv;
  const logger = createLogger('roundtrip-test', 'warn');

  beforeAll(async () => {
    env = await createTestEnv('roundtrip');
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('produces to and consumes from Kafka, one key staying in one partition in order', async () => {
    const kafka = createKafka(env.config, logger);
    expect(await kafkaHealth(kafka)).toBe(true);
    const producer = await createProducer(kafka);
    const messages = Array.from({ length: 60 }, (_, i) => ({ key: `person-${i % 4}`, value: { i } }));
    await produceJson(producer, env.topics.raw, messages);
    await producer.disconnect();

    const consumer = await createConsumer(kafka, 'roundtrip');
    const seen: { key: string; partition: number; i: number }[] = [];
    await consumer.subscribe({ topic: env.topics.raw, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const value = JSON.parse(message.value!.toString()) as { i: number };
        seen.push({ key: message.key!.toString(), partition, i: value.i });
      },
    });
    try {
      await waitFor(
        async () => seen.length,
        (n) => n >= messages.length,
        { what: 'all messages consumed' },
      );
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toHaveLength(messages.length);
    for (const key of ['person-0', 'person-1', 'person-2', 'person-3']) {
      const mine = seen.filter((s) => s.key === key);
      expect(new Set(mine.map((s) => s.partition)).size).toBe(1);
      expect(mine.map((s) => s.i)).toEqual([...mine.map((s) => s.i)].sort((a, b) => a - b));
    }
  });

  it('reports an unreachable broker as unhealthy', async () => {
    const kafka = createKafka({ ...env.config, KAFKA_BROKERS: ['127.0.0.1:1'] }, createLogger('x', 'silent'));
    expect(await kafkaHealth(kafka, 2000)).toBe(false);
  });

  it('writes and reads ClickHouse in the suite database, which has every migration applied', async () => {
    const ch = createClickHouse(env.config);
    try {
      const tables = await queryRows<{ name: string }>(
        ch,
        'SELECT name FROM system.tables WHERE database = currentDatabase()',
      );
      const names = tables.map((t) => t.name);
      for (const t of [
        'schema_migrations',
        'usage_events',
        'rollup_watermarks',
        'rollup_district_app_daily',
        'rollup_district_app_daily_parts',
        'dead_letters',
      ]) {
        expect(names).toContain(t);
      }
      await ch.insert({
        table: 'dead_letters',
        format: 'JSONEachRow',
        values: [
          {
            failed_at: '2026-09-14 13:05:00',
            stage: 'ingest',
            source: 'agent',
            reason_code: 'invalid_field',
            kafka_offset: '1',
          },
        ],
      });
      const rows = await queryRows<{ n: string }>(
        ch,
        "SELECT count() AS n FROM dead_letters WHERE reason_code = 'invalid_field'",
      );
      expect(rows[0]?.n).toBe('1');
    } finally {
      await ch.close();
    }
  });

  it('writes and reads Redis under the suite prefix, and cleanup removes it', async () => {
    const redis = new Redis(env.config.REDIS_URL);
    try {
      const key = `${env.config.REDIS_KEY_PREFIX}probe`;
      expect(await redis.ping()).toBe('PONG');
      await redis.set(key, 'hello');
      expect(await redis.get(key)).toBe('hello');
      const other = await createTestEnv('roundtrip_other');
      await redis.set(`${other.config.REDIS_KEY_PREFIX}probe`, 'x');
      await other.cleanup();
      expect(await redis.get(`${other.config.REDIS_KEY_PREFIX}probe`)).toBeNull();
      expect(await redis.get(key)).toBe('hello'); // another suite's cleanup leaves this suite alone
    } finally {
      redis.disconnect();
    }
  });
});
