import { createConsumer, createKafka, createProducer, sendAcknowledged, type Consumer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { relayValue, sendsOf, type KeyedMessage, type Timing, type Workload } from './workload';

/**
 * The services' own path: packages/kafka's producer (idempotent, acks all, one request in flight,
 * murmur2), sendAcknowledged, and its group consumer settings with eachBatch.
 */
function kafkaOf(w: Workload) {
  return createKafka({ KAFKA_BROKERS: w.brokers, KAFKA_CLIENT_ID: 'bench-kafkajs' }, createLogger('bench', 'warn'));
}

/** Both connect before the timed window, as @platformatic/kafka's do (platformatic-side.ts). */
async function clientsOf(w: Workload) {
  const kafka = kafkaOf(w);
  return { producer: await createProducer(kafka), consumer: await createConsumer(kafka, w.groupId) };
}

/** Resolves at the consumer's first join (later rejoins do not restart the clock). */
function firstJoin(consumer: Consumer, timing: Timing): Promise<void> {
  return new Promise((resolve) => {
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      remove();
      timing.joined();
      resolve();
    });
  });
}

/**
 * Rejects when the consumer crashes. kafkajs restarts a crashed consumer by default, so a batch
 * handler that always fails would otherwise repeat until the measurement's time-out.
 */
function crashOf(consumer: Consumer): Promise<never> {
  const crashed = new Promise<never>((_, reject) => {
    consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
  });
  // Handled where it is raced; a crash before that (or after) must not be an unhandled rejection.
  crashed.catch(() => undefined);
  return crashed;
}

/** Serialized sends (`sendsOf`) while one consumer reads; the clock stops at the last message read. */
export async function kafkajsBare(w: Workload, messages: KeyedMessage[], timing: Timing): Promise<void> {
  const { producer, consumer } = await clientsOf(w);
  let consumed = 0;
  let allConsumed!: () => void;
  const done = new Promise<void>((resolve) => (allConsumed = resolve));
  const crashed = crashOf(consumer);
  try {
    await consumer.subscribe({ topics: [w.topic], fromBeginning: true });
    const joined = firstJoin(consumer, timing);
    await consumer.run({
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length;
        if (consumed >= messages.length) allConsumed();
      },
    });
    await Promise.race([joined, crashed]);
    for (const send of sendsOf(messages, w.batchSize)) {
      await sendAcknowledged(producer, [{ topic: w.topic, messages: send }]);
    }
    await Promise.race([done, crashed]);
    timing.finished();
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

/**
 * Enrich's consumer settings (services/enrich worker): no auto commit or auto resolve; each chunk
 * of up to `batchSize` is sent, then its offset committed. One partition at a time, because the
 * other client cannot have two idempotent sends in flight (enrich runs 2 by default).
 */
export async function kafkajsRelay(w: Workload, _messages: KeyedMessage[], timing: Timing): Promise<void> {
  const { producer, consumer } = await clientsOf(w);
  let relayed = 0;
  let allRelayed!: () => void;
  const done = new Promise<void>((resolve) => (allRelayed = resolve));
  const crashed = crashOf(consumer);
  try {
    await consumer.subscribe({ topics: [w.topic], fromBeginning: true });
    void firstJoin(consumer, timing);
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (let i = 0; i < batch.messages.length; i += w.batchSize) {
          const chunk = batch.messages.slice(i, i + w.batchSize);
          const out = chunk.map((m) => ({
            key: m.key?.toString() ?? '',
            value: relayValue(m.value?.toString() ?? '{}'),
          }));
          for (const send of sendsOf(out, w.batchSize)) {
            await sendAcknowledged(producer, [{ topic: w.outputTopic, messages: send }]);
          }
          const last = chunk[chunk.length - 1]!.offset;
          resolveOffset(last);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
          ]);
          relayed += chunk.length;
          await heartbeat();
        }
        if (relayed >= w.events) allRelayed();
      },
    });
    await Promise.race([done, crashed]);
    timing.finished();
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

/**
 * kafkajs queues concurrent sends of one idempotent producer itself: two in flight must both land when
 * nothing fails. After a failed request they may not (a concurrent send can take its rolled-back
 * sequence numbers): the pipeline's sends take turns (packages/kafka renewed-producer.ts); this check
 * of the client's own queueing sends directly, with no failure.
 */
export async function kafkajsConcurrentIdempotent(
  w: Workload,
  messages: KeyedMessage[],
  timing: Timing,
): Promise<void> {
  const producer = await createProducer(kafkaOf(w));
  try {
    timing.joined();
    const half = Math.ceil(messages.length / 2);
    const send = async (part: KeyedMessage[]) => {
      for (const send of sendsOf(part, w.batchSize)) {
        await producer.send({ topic: w.topic, acks: -1, messages: send });
      }
    };
    await Promise.all([send(messages.slice(0, half)), send(messages.slice(half))]);
    timing.finished();
  } finally {
    await producer.disconnect();
  }
}
