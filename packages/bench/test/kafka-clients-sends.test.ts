/**
 * `pnpm bench:kafka-clients` cuts its sends as the services do: at most --batch-size records, and no
 * produce request over the broker's record-batch limit. Before, --batch-size 5000 made the relay send
 * 5,000 records of one key (one output partition) as one ~3.5 MB record batch; the broker refused it and
 * kafkajs restarted the consumer until the measurement's ten-minute time-out.
 */
import { createLogger } from '@edusage/logging';
import {
  createKafka,
  createProducer,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  produceBudget,
  recordBytes,
  sendAcknowledged,
  topicMessageCount,
} from '@edusage/kafka';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { sendsOf } from '../src/kafka-clients/workload';

/** `count` records of one key with values of `valueBytes` (a RawMessage is ~700 bytes). */
const records = (count: number, valueBytes: number) =>
  Array.from({ length: count }, (_, i) => ({ key: 'district|person', value: `${i}:`.padEnd(valueBytes, 'x') }));

test('sends keep the order, at most batchSize records and at most the produce budget in bytes each', () => {
  const budget = produceBudget(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
  const all = records(5_000, 700);
  const sends = sendsOf(all, 5_000);
  expect(sends.length).toBeGreaterThan(1);
  for (const send of sends) {
    expect(send.length).toBeLessThanOrEqual(5_000);
    expect(send.reduce((n, r) => n + recordBytes(r), 0)).toBeLessThanOrEqual(budget);
  }
  expect(sends.flat()).toEqual(all);
  // Small records: the count is the bound.
  expect(sendsOf(records(7, 10), 3).map((s) => s.length)).toEqual([3, 3, 1]);
});

describe('on the real broker', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv('bench_sends');
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  test('5,000 records of one key, sent as sendsOf cuts them, all land', async () => {
    const kafka = createKafka(env.config, createLogger('test', 'warn'));
    const producer = await createProducer(kafka);
    try {
      const all = records(5_000, 700);
      for (const send of sendsOf(all, 5_000)) {
        await sendAcknowledged(producer, [{ topic: env.topics.raw, messages: send }]);
      }
      expect((await topicMessageCount(kafka, env.topics.raw)).messages).toBe(all.length);
    } finally {
      await producer.disconnect();
    }
  });
});
