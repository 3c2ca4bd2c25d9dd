/**
 * kafkajs' send path as patched (patches/kafkajs@2.2.4.patch, sendMessages.js: every request of an
 * attempt settles before the next attempt), on stand-in brokers sharing a replicated partition state
 * that deduplicates as Kafka does. The review's reproduction: one send goes to broker A (partition P)
 * and broker B (partition Q); A writes P but its answer comes late and fails, B fails at once, and P's
 * leadership moves to C. Unpatched, the retry sent P to C with the numbers after A's while A's request
 * was still out; A's failure then rolled them back, and the next one-record send to P was acknowledged
 * as a duplicate and never written. `KAFKAJS_SRC` may name another kafkajs source to run this against.
 */
import type { Producer } from 'kafkajs';
import { renewingProducer } from '../src/renewed-producer';
import {
  createEosManager,
  createErrorFromCode,
  createRetry,
  KafkaJSConnectionError,
  sendLeased,
  sendMessages,
  silent,
  sleep,
} from './kafkajs-internals';

type TopicData = {
  topic: string;
  partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[];
}[];

function cluster() {
  // What every leader of a partition knows (replicated): its log, the batches appended, the next sequence.
  const parts = new Map<number, { log: string[]; batches: { pid: number; first: number; last: number }[] }>([
    [0, { log: [], batches: [] }],
    [1, { log: [], batches: [] }],
  ]);
  const next = new Map<string, number>();
  const append = (pid: number, partition: number, first: number, messages: { value: string }[]) => {
    const p = parts.get(partition)!;
    const last = first + messages.length - 1;
    if (p.batches.some((b) => b.pid === pid && b.first === first && b.last === last)) return 0; // a duplicate
    if (first !== (next.get(`${pid}/${partition}`) ?? 0)) return 45; // OUT_OF_ORDER_SEQUENCE_NUMBER
    for (const m of messages) p.log.push(m.value);
    p.batches.push({ pid, first, last });
    next.set(`${pid}/${partition}`, last + 1);
    return 0;
  };
  const answer = (pid: number, topicData: TopicData) => ({
    topics: topicData.map(({ topic, partitions }) => ({
      topicName: topic,
      partitions: partitions.map((p) => ({
        partition: p.partition,
        errorCode: append(pid, p.partition, p.firstSequence, p.messages),
        baseOffset: '0',
      })),
    })),
  });
  let pids = 0;
  let moved = false;
  let aFirst = true;
  let bFirst = true;
  const broker = (nodeId: number, produce: (pid: number, td: TopicData) => Promise<object>) => ({
    nodeId,
    initProducerId: async () => ({ producerId: ++pids, producerEpoch: 0 }),
    produce: ({ producerId, topicData }: { producerId: number; topicData: TopicData }) =>
      produce(producerId, topicData),
  });
  // A leads P at first: writes it, but its answer is lost after 200 ms.
  const A = broker(0, async (pid, td) => {
    if (!aFirst) return answer(pid, td);
    aFirst = false;
    answer(pid, td);
    await sleep(200);
    throw new KafkaJSConnectionError('A: the answer was lost', { retriable: true });
  });
  // B leads Q: its first request fails at once.
  const B = broker(2, async (pid, td) => {
    if (!bFirst) return answer(pid, td);
    bFirst = false;
    await sleep(5);
    throw new KafkaJSConnectionError('B: connection error', { retriable: true });
  });
  // C leads P after the metadata refresh.
  const C = broker(1, async (pid, td) => answer(pid, td));
  const brokers = new Map([
    [0, A],
    [1, C],
    [2, B],
  ]);
  const leaderOf = (p: number) => (p === 0 ? (moved ? 1 : 0) : 2);
  const kafkaCluster = {
    retry: { initialRetryTime: 20, retries: 5 },
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {
      moved = true;
    },
    async addMultipleTargetTopics() {},
    findTopicPartitionMetadata: () =>
      [0, 1].map((p) => ({ partitionId: p, leader: leaderOf(p), partitionErrorCode: 0 })),
    findLeaderForPartitions: (_t: string, ps: number[]) => {
      const out: Record<number, number[]> = {};
      for (const p of ps.map(Number)) (out[leaderOf(p)] ??= []).push(p);
      return out;
    },
    findBroker: async ({ nodeId }: { nodeId: number | string }) => brokers.get(Number(nodeId)),
    findControllerBroker: async () => C,
    isConnected: () => true,
    removeBroker() {},
  };
  const makeProducer = async (): Promise<Producer> => {
    const eosManager = createEosManager({ logger: silent, cluster: kafkaCluster, transactional: false });
    await eosManager.initProducerId();
    const send = sendMessages({
      logger: silent,
      cluster: kafkaCluster,
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
      eosManager,
      retrier: createRetry({ initialRetryTime: 20, retries: 5 }),
    });
    return {
      sendBatch: ({ topicMessages }: { topicMessages: object[] }) => send({ acks: -1, topicMessages }),
      disconnect: async () => undefined,
    } as unknown as Producer;
  };
  return { logOf: (p: number) => parts.get(p)!.log, makeProducer };
}

test('a request still out when its attempt failed is waited for before the retry: the next send to its partition is written', async () => {
  const c = cluster();
  const producer = await renewingProducer(c.makeProducer);
  await sendLeased(producer, [
    { value: 'P1', partition: 0 },
    { value: 'Q1', partition: 1 },
  ]);
  await sendLeased(producer, [{ value: 'P2', partition: 0 }]);
  // P1 may be there twice (A's write, then its retry under new numbers): a copy the aggregate removes.
  expect(c.logOf(0)).toContain('P2');
  expect(c.logOf(1)).toEqual(['Q1']);
});

test('of an attempt that failed twice, the failure no retry can help is the one thrown (a record too large, not a slow broker)', async () => {
  let requests = 0;
  const slowFailure = {
    nodeId: 0,
    produce: async () => {
      requests++;
      await sleep(50);
      throw new KafkaJSConnectionError('broker 0: connection error', { retriable: true });
    },
  };
  const tooLarge = {
    nodeId: 1,
    produce: async () => {
      requests++;
      throw createErrorFromCode(10); // MESSAGE_TOO_LARGE
    },
  };
  const brokers = new Map<number, object>([
    [0, slowFailure],
    [1, tooLarge],
  ]);
  const kafkaCluster = {
    retry: { initialRetryTime: 20, retries: 3 },
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {},
    async addMultipleTargetTopics() {},
    findTopicPartitionMetadata: () => [0, 1].map((p) => ({ partitionId: p, leader: p, partitionErrorCode: 0 })),
    findLeaderForPartitions: (_t: string, ps: number[]) => Object.fromEntries(ps.map((p) => [Number(p), [Number(p)]])),
    findBroker: async ({ nodeId }: { nodeId: number | string }) => brokers.get(Number(nodeId)),
    isConnected: () => true,
    removeBroker() {},
  };
  const send = sendMessages({
    logger: silent,
    cluster: kafkaCluster,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    eosManager: {
      isInitialized: () => false,
      isTransactional: () => false,
      acquireBrokerLock: async () => {},
      releaseBrokerLock: () => {},
      getSequence: () => 0,
      updateSequence: () => {},
      getProducerId: () => -1,
      getProducerEpoch: () => 0,
      getTransactionalId: () => undefined,
    },
    retrier: createRetry({ initialRetryTime: 20, retries: 3 }),
  });
  const sent = send({
    acks: -1,
    topicMessages: [
      {
        topic: 't',
        messages: [
          { value: 'a', partition: 0 },
          { value: 'b', partition: 1 },
        ],
      },
    ],
  });
  await expect(sent).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
  expect(requests).toBe(2); // given up at once, not retried
});
