import type { KeyedMessage, Workload } from './workload';
import { relayValue } from './workload';

/**
 * The same work with @platformatic/kafka, set up like packages/kafka: idempotent producer, acks
 * from all replicas, key-hashed partitions (murmur2), sends one after another; a group consumer
 * reading from the earliest offset. It is an ES module, so it is loaded with import().
 */
type Platformatic = typeof import('@platformatic/kafka', { with: { 'resolution-mode': 'import' } });
type Received = import('@platformatic/kafka', { with: { 'resolution-mode': 'import' } }).Message<
  string,
  string,
  string,
  string
>;

async function load(): Promise<Platformatic> {
  return import('@platformatic/kafka');
}

function producerOf(k: Platformatic, w: Workload) {
  return new k.Producer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: w.brokers,
    serializers: k.stringSerializers,
    idempotent: true,
    acks: k.ProduceAcks.ALL,
  });
}

function consumerOf(k: Platformatic, w: Workload) {
  return new k.Consumer({
    clientId: 'bench-platformatic',
    groupId: w.groupId,
    bootstrapBrokers: w.brokers,
    deserializers: k.stringDeserializers,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    // Its fetch waited out the whole maxWaitTime on partitions that had no data yet (5 s: 17k
    // messages/s in the bare case; 0.5 s: 72k), where kafkajs returns as data arrives.
    maxWaitTime: 500,
  });
}

export async function platformaticBare(w: Workload, messages: KeyedMessage[], joined: () => void): Promise<void> {
  const k = await load();
  const producer = producerOf(k, w);
  const consumer = consumerOf(k, w);
  try {
    // consume() resolves once the consumer has joined the group and been assigned its partitions.
    const stream = await consumer.consume({ topics: [w.topic], mode: 'earliest', autocommit: true });
    joined();
    let consumed = 0;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', () => {
        if (++consumed >= messages.length) resolve();
      });
      stream.on('error', reject);
    });
    for (let i = 0; i < messages.length; i += w.batchSize) {
      const chunk = messages.slice(i, i + w.batchSize).map((m) => ({ topic: w.topic, key: m.key, value: m.value }));
      await producer.send({ messages: chunk });
    }
    await done;
    await stream.close();
  } finally {
    await consumer.close(true);
    await producer.close();
  }
}

/**
 * The consumer delivers single messages into a stream: they are gathered into chunks of up to
 * `batchSize` (what has arrived while the previous send was in flight), and after each send the
 * chunk's last message of every partition is committed.
 */
export async function platformaticRelay(w: Workload, _messages: KeyedMessage[], joined: () => void): Promise<void> {
  const k = await load();
  const producer = producerOf(k, w);
  const consumer = consumerOf(k, w);
  try {
    const stream = await consumer.consume({ topics: [w.topic], mode: 'earliest', autocommit: false });
    joined();
    const pending: Received[] = [];
    let wake: (() => void) | undefined;
    let failed: unknown;
    stream.on('data', (m: Received) => {
      pending.push(m);
      wake?.();
    });
    stream.on('error', (err: unknown) => {
      failed = err;
      wake?.();
    });
    let relayed = 0;
    while (relayed < w.events) {
      if (pending.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (failed !== undefined) throw failed;
      const chunk = pending.splice(0, w.batchSize);
      await producer.send({
        messages: chunk.map((m) => ({ topic: w.outputTopic, key: m.key, value: relayValue(m.value) })),
      });
      const lastOfPartition = new Map<number, Received>();
      for (const m of chunk) lastOfPartition.set(m.partition, m);
      await Promise.all([...lastOfPartition.values()].map((m) => m.commit()));
      relayed += chunk.length;
    }
    await stream.close();
  } finally {
    await consumer.close(true);
    await producer.close();
  }
}

/** Two sends in flight on one idempotent producer; rejects with the client's error if it refuses. */
export async function platformaticConcurrentIdempotent(w: Workload, messages: KeyedMessage[]): Promise<void> {
  const k = await load();
  const producer = producerOf(k, w);
  try {
    const half = Math.ceil(messages.length / 2);
    const send = async (part: KeyedMessage[]) => {
      for (let i = 0; i < part.length; i += w.batchSize) {
        const chunk = part.slice(i, i + w.batchSize).map((m) => ({ topic: w.topic, key: m.key, value: m.value }));
        await producer.send({ messages: chunk });
      }
    };
    await Promise.all([send(messages.slice(0, half)), send(messages.slice(half))]);
  } finally {
    await producer.close();
  }
}
