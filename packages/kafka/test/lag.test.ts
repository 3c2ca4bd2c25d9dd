/**
 * What a group has not committed, on the real broker: all of it (consumerLag), or only what was on the
 * topic at an earlier moment (uncommittedBefore), so a wait for the older messages is not held up by a
 * busy topic's newer ones (`people erase` waits so for the aggregate).
 */
import { createLogger } from '@edusage/logging';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { consumerLag, createKafka, createProducer, endOffsets, uncommittedBefore, type Kafka } from '../src';

jest.setTimeout(60_000);

describe('uncommitted messages of a group', () => {
  let env: TestEnv;
  let kafka: Kafka;

  beforeAll(async () => {
    env = await createTestEnv('kafka_lag', { partitions: 2 });
    kafka = createKafka(env.config, createLogger('lag-test', 'error'));
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('counts up to the end offsets read earlier, not the messages written since', async () => {
    const topic = env.topics.enriched;
    const producer = await createProducer(kafka);
    const send = (n: number) =>
      producer.send({
        topic,
        messages: Array.from({ length: n }, (_, i) => ({ partition: i % 2, value: `m${i}` })),
      });
    try {
      await send(10); // 5 a partition
      const until = await endOffsets(kafka, topic);
      expect([...until.values()].map(Number)).toEqual([5, 5]);
      await send(6); // written after the moment: 3 a partition
      const group = `lag-test-${Date.now()}`;
      expect(await uncommittedBefore(kafka, group, topic, until)).toBe(10); // never committed: from the start
      const admin = kafka.admin();
      await admin.connect();
      await admin.setOffsets({
        groupId: group,
        topic,
        partitions: [
          { partition: 0, offset: '5' },
          { partition: 1, offset: '2' },
        ],
      });
      await admin.disconnect();
      expect(await uncommittedBefore(kafka, group, topic, until)).toBe(3);
      expect(await consumerLag(kafka, group, [topic])).toBe(3 + 6);
    } finally {
      await producer.disconnect();
    }
  });
});
