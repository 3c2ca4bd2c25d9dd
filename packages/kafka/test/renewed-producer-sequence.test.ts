/**
 * kafkajs 2.2.4's own idempotent send path (its sendMessages and eosManager, as installed with our
 * patch) against a stand-in broker that deduplicates as Kafka does: a batch whose producer id and
 * sequence numbers match one it appended is acknowledged and not written. The first request is
 * written but its answer is lost. Two sends at once through a renewing producer must both be written
 * (renewed-producer.ts: kafkajs rolls the numbers back inside its broker lock, so a concurrent send
 * could take them and be acknowledged unwritten). The review's reproduction, kept as a test.
 */
import type { Producer } from 'kafkajs';
import { renewingProducer } from '../src/renewed-producer';
import {
  createEosManager,
  createRetry,
  KafkaJSConnectionError,
  sendLeased,
  sendMessages,
  silent,
} from './kafkajs-internals';

function standInBroker() {
  const log: string[] = [];
  const appended: { pid: number; first: number; last: number }[] = [];
  const next = new Map<number, number>();
  let pids = 0;
  let loseNextAnswer = true;
  const broker = {
    nodeId: 0,
    async initProducerId() {
      return { producerId: ++pids, producerEpoch: 0 };
    },
    async produce({
      producerId,
      topicData,
    }: {
      producerId: number;
      topicData: {
        topic: string;
        partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[];
      }[];
    }) {
      const topics = topicData.map(({ topic, partitions }) => ({
        topicName: topic,
        partitions: partitions.map((p) => {
          const first = p.firstSequence;
          const last = first + p.messages.length - 1;
          let errorCode = 0;
          if (appended.some((a) => a.pid === producerId && a.first === first && a.last === last)) {
            // a duplicate: acknowledged, not written
          } else if (first !== (next.get(producerId) ?? 0))
            errorCode = 45; // OUT_OF_ORDER_SEQUENCE_NUMBER
          else {
            for (const m of p.messages) log.push(m.value);
            appended.push({ pid: producerId, first, last });
            next.set(producerId, last + 1);
          }
          return { partition: p.partition, errorCode, baseOffset: '0' };
        }),
      }));
      if (loseNextAnswer) {
        loseNextAnswer = false;
        await new Promise((r) => setTimeout(r, 20));
        throw new KafkaJSConnectionError('the answer was lost (written)', { retriable: true });
      }
      return { topics };
    },
  };
  const cluster = {
    retry: { initialRetryTime: 20, retries: 2 },
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {},
    async addMultipleTargetTopics() {},
    findTopicPartitionMetadata: () => [{ partitionId: 0, leader: 0, partitionErrorCode: 0 }],
    findLeaderForPartitions: (_t: string, parts: number[]) => ({ 0: parts.map(Number) }),
    async findBroker() {
      return broker;
    },
    async findControllerBroker() {
      return broker;
    },
    isConnected: () => true,
    removeBroker() {},
  };
  /** A kafkajs producer's sendBatch on this broker, with an idempotent producer id of its own. */
  const makeProducer = async (): Promise<Producer> => {
    const eosManager = createEosManager({ logger: silent, cluster, transactional: false });
    await eosManager.initProducerId();
    const send = sendMessages({
      logger: silent,
      cluster,
      partitioner: () => 0,
      eosManager,
      retrier: createRetry({ initialRetryTime: 20, retries: 2 }),
    });
    return {
      sendBatch: ({ topicMessages }: { topicMessages: object[] }) => send({ acks: -1, topicMessages }),
      disconnect: async () => undefined,
    } as unknown as Producer;
  };
  return { log, makeProducer };
}

test('two sends at once, the first written but its answer lost: both are written', async () => {
  const broker = standInBroker();
  const producer = await renewingProducer(broker.makeProducer);
  const results = await Promise.allSettled([
    sendLeased(producer, [{ value: 'A', partition: 0 }]),
    sendLeased(producer, [{ value: 'B', partition: 0 }]),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
  // A's retry is its own duplicate (acknowledged, not written again); B has numbers of its own.
  expect(broker.log.sort()).toEqual(['A', 'B']);
});
