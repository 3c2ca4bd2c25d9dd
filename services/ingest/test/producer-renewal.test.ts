/**
 * On the real broker: after a send failed, the producer that ingest (and enrich, the aggregate, the
 * import and dlq replay) holds sends with a new kafkajs producer, and what it sends is written
 * (packages/kafka renewed-producer.ts; its logic is unit-tested there). The failure is injected in
 * the first kafkajs producer's sendBatch, before anything reaches the broker.
 */
import type { Kafka, Producer } from 'kafkajs';
import {
  createKafka,
  createProducer,
  partitionOfKey,
  produceJson,
  producersMade,
  readTopicToEnd,
} from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, type TestEnv } from '@edusage/testkit';

jest.setTimeout(60_000);

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('producer_renewal');
});
afterAll(async () => env?.cleanup());

/** A Kafka client whose first producer's first sendBatch fails; the producers it made, in order. */
function failingOnce(kafka: Kafka): { kafka: Kafka; made: { disconnected: boolean }[] } {
  const made: { disconnected: boolean }[] = [];
  const wrapped = new Proxy(kafka, {
    get(target, prop, receiver) {
      if (prop !== 'producer') return Reflect.get(target, prop, receiver) as unknown;
      return (...args: Parameters<Kafka['producer']>) => {
        const real = target.producer(...args);
        const state = { disconnected: false, failed: made.length > 0 };
        made.push(state);
        return new Proxy(real, {
          get(p, name, r) {
            if (name === 'sendBatch' && !state.failed)
              return async () => {
                state.failed = true;
                throw new Error('the request timed out (the test)');
              };
            if (name === 'disconnect')
              return async () => {
                state.disconnected = true;
                await p.disconnect();
              };
            const value: unknown = Reflect.get(p, name, r);
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(p) : value;
          },
        }) as Producer;
      };
    },
  });
  return { kafka: wrapped, made };
}

test('a send after a failed one goes through a new kafkajs producer, and is written', async () => {
  const kafka = createKafka(env.config, createLogger('producer-renewal-test', 'warn'));
  const { kafka: failing, made } = failingOnce(kafka);
  const producer = await createProducer(failing);
  try {
    await expect(produceJson(producer, env.topics.raw, [{ key: 'a', value: { n: 1 } }])).rejects.toThrow('timed out');
    expect(producersMade(producer)).toBe(1);
    await produceJson(producer, env.topics.raw, [{ key: 'b', value: { n: 2 } }]);
    expect(producersMade(producer)).toBe(2);
    expect(made.map((m) => m.disconnected)).toEqual([true, false]);
    const values: string[] = [];
    await readTopicToEnd(kafka, env.topics.raw, async (records) => {
      for (const r of records) values.push(String(r.value));
    });
    expect(values).toEqual([JSON.stringify({ n: 2 })]);
  } finally {
    await producer.disconnect();
  }
});

test("a message with its own partition is written there, not to its key's (dlq replay of an event the aggregate refused)", async () => {
  const kafka = createKafka(env.config, createLogger('producer-renewal-test', 'warn'));
  const producer = await createProducer(kafka);
  try {
    const key = 'd1|some-person';
    const other = (partitionOfKey(key, 3) + 1) % 3;
    await produceJson(producer, env.topics.enriched, [{ key, value: { n: 3 }, partition: other }]);
    const placed: number[] = [];
    await readTopicToEnd(kafka, env.topics.enriched, async (records) => {
      for (const r of records) placed.push(r.partition);
    });
    expect(placed).toEqual([other]);
  } finally {
    await producer.disconnect();
  }
});
