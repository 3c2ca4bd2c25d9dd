import { createConsumer, createKafka, createProducer, sendAcknowledged } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { relayValue, type KeyedMessage, type Workload } from './workload';

/**
 * The services' own path: packages/kafka's producer (idempotent, acks all, one request in flight,
 * murmur2), sendAcknowledged, and its group consumer settings with eachBatch.
 */
function kafkaOf(w: Workload) {
  return createKafka({ KAFKA_BROKERS: w.brokers, KAFKA_CLIENT_ID: 'bench-kafkajs' }, createLogger('bench', 'warn'));
}

/** Serialized sends of `batchSize` while one consumer reads; resolves when all are consumed. */
export async function kafkajsBare(w: Workload, messages: KeyedMessage[], joined: () => void): Promise<void> {
  const kafka = kafkaOf(w);
  const producer = await createProducer(kafka);
  const consumer = await createConsumer(kafka, w.groupId);
  let consumed = 0;
  const hasJoined = new Promise<void>((resolve) =>
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined();
      resolve();
    }),
  );
  let allConsumed!: () => void;
  const done = new Promise<void>((resolve) => (allConsumed = resolve));
  try {
    await consumer.subscribe({ topics: [w.topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length;
        if (consumed >= messages.length) allConsumed();
      },
    });
    await hasJoined;
    for (let i = 0; i < messages.length; i += w.batchSize) {
      await sendAcknowledged(producer, [{ topic: w.topic, messages: messages.slice(i, i + w.batchSize) }]);
    }
    await done;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

/** Reads the prefilled topic, relays each batch in chunks of `batchSize`, commits after each send. */
export async function kafkajsRelay(w: Workload, _messages: KeyedMessage[], joined: () => void): Promise<void> {
  const kafka = kafkaOf(w);
  const producer = await createProducer(kafka);
  const consumer = await createConsumer(kafka, w.groupId);
  let relayed = 0;
  let allRelayed!: () => void;
  const done = new Promise<void>((resolve) => (allRelayed = resolve));
  try {
    await consumer.subscribe({ topics: [w.topic], fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, joined);
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        for (let i = 0; i < batch.messages.length; i += w.batchSize) {
          const chunk = batch.messages.slice(i, i + w.batchSize);
          const out = chunk.map((m) => ({
            key: m.key?.toString() ?? '',
            value: relayValue(m.value?.toString() ?? '{}'),
          }));
          await sendAcknowledged(producer, [{ topic: w.outputTopic, messages: out }]);
          resolveOffset(chunk[chunk.length - 1]!.offset);
          await commitOffsetsIfNecessary();
          relayed += chunk.length;
        }
        if (relayed >= w.events) allRelayed();
      },
    });
    await done;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

/** kafkajs queues concurrent sends of one idempotent producer itself: two in flight must both land. */
export async function kafkajsConcurrentIdempotent(w: Workload, messages: KeyedMessage[]): Promise<void> {
  const kafka = kafkaOf(w);
  const producer = await createProducer(kafka);
  try {
    const half = Math.ceil(messages.length / 2);
    const send = async (part: KeyedMessage[]) => {
      for (let i = 0; i < part.length; i += w.batchSize) {
        await producer.send({ topic: w.topic, acks: -1, messages: part.slice(i, i + w.batchSize) });
      }
    };
    await Promise.all([send(messages.slice(0, half)), send(messages.slice(half))]);
  } finally {
    await producer.disconnect();
  }
}
