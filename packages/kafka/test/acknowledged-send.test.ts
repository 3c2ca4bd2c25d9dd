/**
 * The resend logic of sendAcknowledged, on a producer double that behaves like kafkajs 2.2.4 after a
 * broker failure: its send resolves but acknowledges only some partitions (the others were skipped).
 * The pipeline-level evidence on a real 3-broker cluster is packages/demo/test/e2e-kafka-cluster.test.ts.
 */
import {
  Partitioners,
  type Kafka,
  type Message,
  type PartitionMetadata,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { rememberClient, sendAcknowledged } from '../src/acknowledged-send';

const PARTITIONS = 6;

/** A Kafka client whose admin reports PARTITIONS partitions for every topic. */
function fakeKafka(): Kafka {
  return {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
        topics: topics.map((name) => ({
          name,
          partitions: Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 1 })),
        })),
      }),
    }),
  } as unknown as Kafka;
}

type Sent = { topic: string; messages: Message[] }[];

/** A producer that writes what it is sent into `log`, acknowledging only the partitions `ack` allows. */
function fakeProducer(log: Sent[], ack: (round: number, topic: string, partition: number) => boolean): Producer {
  let round = 0;
  return {
    sendBatch: async ({ topicMessages }: { topicMessages: Sent }) => {
      round++;
      log.push(topicMessages);
      const out: RecordMetadata[] = [];
      for (const { topic, messages } of topicMessages) {
        for (const partition of new Set(messages.map((m) => m.partition!))) {
          if (ack(round, topic, partition)) out.push({ topicName: topic, partition, errorCode: 0 });
        }
      }
      return out;
    },
  } as unknown as Producer;
}

const messages = (n: number): Message[] => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));

/** Where kafkajs' own default partitioner puts a key among PARTITIONS partitions (independent of the code under test). */
function expectedPartition(topic: string, key: string): number {
  const meta = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
    partitionId,
    leader: 1,
  })) as PartitionMetadata[];
  return Partitioners.DefaultPartitioner()({ topic, partitionMetadata: meta, message: { key, value: '' } });
}

test('partitions left out of the acknowledgement are sent again, and only they', async () => {
  const log: Sent[] = [];
  // Round 1 acknowledges even partitions only; round 2 everything.
  const producer = fakeProducer(log, (round, _t, p) => round > 1 || p % 2 === 0);
  rememberClient(producer, fakeKafka());
  const sent = messages(200);
  const acked = await sendAcknowledged(producer, [{ topic: 'raw', messages: sent }]);

  expect(log).toHaveLength(2);
  expect(acked.map((r) => r.partition).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  // Every message went to its key's partition, in order, and the second round carried exactly the odd ones.
  for (const m of log[0]![0]!.messages) expect(m.partition).toBe(expectedPartition('raw', String(m.key)));
  expect(log[0]![0]!.messages.map((m) => m.key)).toEqual(
    [...new Set(sent.map((m) => expectedPartition('raw', String(m.key))))].flatMap((p) =>
      sent.filter((m) => expectedPartition('raw', String(m.key)) === p).map((m) => m.key),
    ),
  );
  const resent = log[1]!.flatMap((t) => t.messages);
  expect(resent.map((m) => m.key).sort()).toEqual(
    sent
      .filter((m) => expectedPartition('raw', String(m.key)) % 2 === 1)
      .map((m) => m.key)
      .sort(),
  );
});

test('two topics in one send: each topic partition is checked on its own', async () => {
  const log: Sent[] = [];
  const producer = fakeProducer(log, (round, topic) => round > 1 || topic === 'enriched');
  rememberClient(producer, fakeKafka());
  await sendAcknowledged(producer, [
    { topic: 'enriched', messages: messages(30) },
    { topic: 'dlq', messages: messages(3) },
  ]);
  expect(log).toHaveLength(2);
  expect(log[1]!.map((t) => t.topic)).toEqual(['dlq']);
  expect(log[1]![0]!.messages).toHaveLength(3);
});

test('a partition that is never acknowledged fails the send, naming it', async () => {
  const producer = fakeProducer([], (_r, _t, p) => p !== expectedPartition('raw', 'k0'));
  rememberClient(producer, fakeKafka());
  await expect(sendAcknowledged(producer, [{ topic: 'raw', messages: messages(1) }])).rejects.toThrow(
    new RegExp(`raw/${expectedPartition('raw', 'k0')} after 5 sends`),
  );
});

test('one topic named twice in one send: each partition carries the messages of both, in order; keyless ones too', async () => {
  const log: Sent[] = [];
  const producer = fakeProducer(log, () => true);
  rememberClient(producer, fakeKafka());
  const first = messages(40);
  const second = messages(40).map((m) => ({ ...m, value: `again ${String(m.value)}` }));
  const keyless: Message[] = [{ key: null, value: 'no key', headers: { h: 'v' }, timestamp: '1700000000000' }];
  await sendAcknowledged(producer, [
    { topic: 'raw', messages: first },
    { topic: 'raw', messages: [...second, ...keyless] },
  ]);
  expect(log).toHaveLength(1);
  const sent = log[0]!.flatMap((t) => t.messages);
  expect(sent).toHaveLength(81);
  for (let p = 0; p < PARTITIONS; p++) {
    const keyed = (list: Message[]) => list.filter((m) => expectedPartition('raw', String(m.key)) === p);
    const inPartition = sent.filter((m) => m.partition === p && m.key !== null);
    expect(inPartition.map((m) => m.value)).toEqual([...keyed(first), ...keyed(second)].map((m) => m.value));
  }
  const placed = sent.find((m) => m.key === null)!;
  expect(placed).toMatchObject({ value: 'no key', headers: { h: 'v' }, timestamp: '1700000000000' });
  expect(placed.partition).toBeGreaterThanOrEqual(0);
  expect(placed.partition).toBeLessThan(PARTITIONS);
});

test('a partition the caller set is kept, keyed or not, as kafkajs keeps it', async () => {
  const log: Sent[] = [];
  const producer = fakeProducer(log, () => true);
  rememberClient(producer, fakeKafka());
  const other = (key: string) => (expectedPartition('raw', key) + 1) % PARTITIONS;
  const sent: Message[] = [
    { key: 'k1', value: 'set', partition: other('k1') },
    { key: null, value: 'keyless, set', partition: 5 },
    { key: 'k1', value: 'by key' },
  ];
  await sendAcknowledged(producer, [{ topic: 'raw', messages: sent }]);
  const placed = new Map(log[0]!.flatMap((t) => t.messages).map((m) => [m.value, m.partition]));
  expect(placed).toEqual(
    new Map([
      ['set', other('k1')],
      ['keyless, set', 5],
      ['by key', expectedPartition('raw', 'k1')],
    ]),
  );
});

test('a send of hundreds of thousands of messages to one partition goes out whole, in order', async () => {
  const log: Sent[] = [];
  const producer = fakeProducer(log, () => true);
  rememberClient(producer, fakeKafka());
  // Two keys in different partitions, the second one's list far longer than a call's argument limit,
  // and the topic named twice: both ways lists of one partition are joined.
  const a = 'k0';
  const b = Array.from({ length: 20 }, (_, i) => `k${i + 1}`).find(
    (k) => expectedPartition('big', k) !== expectedPartition('big', a),
  )!;
  const many = (key: string, n: number, tag: string): Message[] =>
    Array.from({ length: n }, (_, i) => ({ key, value: `${tag}${i}` }));
  await sendAcknowledged(producer, [
    { topic: 'big', messages: [...many(a, 1, 'a'), ...many(b, 200_000, 'b')] },
    { topic: 'big', messages: many(b, 150_000, 'c') },
  ]);
  const sent = log[0]!.flatMap((t) => t.messages);
  expect(sent).toHaveLength(350_001);
  const inB = sent.filter((m) => m.partition === expectedPartition('big', b)).map((m) => m.value);
  const expected = [...many(b, 200_000, 'b'), ...many(b, 150_000, 'c')].map((m) => m.value);
  // One string compare: jest's toEqual on 350,000 elements takes seconds.
  expect(inB.join('\n')).toBe(expected.join('\n'));
});
