import type { KeyedMessage, Timing, Workload } from './workload';
import { relayValue, sendsOf } from './workload';

/**
 * The same work with @platformatic/kafka, set up like packages/kafka: idempotent producer, acks
 * from all replicas, partitions by murmur2 of the key (its default partitioner, which maps the hash
 * to a partition slightly differently from kafkajs and Java: the spread is the same, not the
 * placement), sends one after another; a group consumer reading from the earliest offset. It is an
 * ES module, so it is loaded with import().
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
    // Per partition, like packages/kafka's maxBytesPerPartition (its default is 10 MB).
    maxBytes: 1_048_576,
  });
}

/**
 * The producer connected, its idempotent producer id obtained and the topic's metadata read before
 * the timed window, as kafkajs' connect() does (it would otherwise do this at the first send).
 */
async function connectedProducer(k: Platformatic, w: Workload, topic: string) {
  const producer = producerOf(k, w);
  await producer.initIdempotentProducer({});
  await producer.metadata({ topics: [topic] });
  return producer;
}

export async function platformaticBare(w: Workload, messages: KeyedMessage[], timing: Timing): Promise<void> {
  const k = await load();
  const producer = await connectedProducer(k, w, w.topic);
  const consumer = consumerOf(k, w);
  try {
    // consume() resolves once the consumer has joined the group and been assigned its partitions.
    const stream = await consumer.consume({ topics: [w.topic], mode: 'earliest', autocommit: true });
    timing.joined();
    let consumed = 0;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', () => {
        if (++consumed >= messages.length) resolve();
      });
      stream.on('error', reject);
    });
    for (const send of sendsOf(messages, w.batchSize)) {
      await producer.send({ messages: send.map((m) => ({ topic: w.topic, key: m.key, value: m.value })) });
    }
    await done;
    timing.finished();
    await stream.close();
  } finally {
    await consumer.close(true);
    await producer.close();
  }
}

/**
 * The consumer delivers single messages into a stream, read here in paused mode: each chunk is
 * what the stream holds, up to `batchSize`, so its own back-pressure (a high-water mark of two
 * chunks) stops the fetching while a send is in flight. After each send one commit request carries
 * each partition's last offset of the chunk (as kafkajs' relay commits each chunk once).
 */
export async function platformaticRelay(w: Workload, _messages: KeyedMessage[], timing: Timing): Promise<void> {
  const k = await load();
  const producer = await connectedProducer(k, w, w.outputTopic);
  const consumer = consumerOf(k, w);
  try {
    const stream = await consumer.consume({
      topics: [w.topic],
      mode: 'earliest',
      autocommit: false,
      highWaterMark: 2 * w.batchSize,
    });
    timing.joined();
    let failed: unknown;
    let wake: (() => void) | undefined;
    const wakeUp = () => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    stream.on('readable', wakeUp);
    stream.on('error', (err: unknown) => {
      failed = err;
      wakeUp();
    });
    stream.on('close', () => {
      failed ??= new Error('the message stream closed before every message was relayed');
      wakeUp();
    });
    const readChunk = (): Received[] => {
      const chunk: Received[] = [];
      for (let m: Received | null; chunk.length < w.batchSize && (m = stream.read() as Received | null) !== null;) {
        chunk.push(m);
      }
      return chunk;
    };
    let relayed = 0;
    while (relayed < w.events) {
      let chunk = readChunk();
      while (chunk.length === 0) {
        if (failed !== undefined) throw failed;
        await new Promise<void>((resolve) => (wake = resolve));
        chunk = readChunk();
      }
      const out = chunk.map((m) => ({ topic: w.outputTopic, key: m.key, value: relayValue(m.value) }));
      for (const send of sendsOf(out, w.batchSize)) await producer.send({ messages: send });
      const lastOfPartition = new Map<number, Received>();
      for (const m of chunk) lastOfPartition.set(m.partition, m);
      await consumer.commit({
        // The message's own offset and no leader epoch, as the library's message.commit() sends.
        offsets: [...lastOfPartition.values()].map((m) => ({
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          leaderEpoch: -1,
        })),
      });
      relayed += chunk.length;
    }
    timing.finished();
    await stream.close();
  } finally {
    await consumer.close(true);
    await producer.close();
  }
}

/** Two sends in flight on one idempotent producer; rejects with the client's error if it refuses. */
export async function platformaticConcurrentIdempotent(
  w: Workload,
  messages: KeyedMessage[],
  timing: Timing,
): Promise<void> {
  const k = await load();
  const producer = await connectedProducer(k, w, w.topic);
  try {
    timing.joined();
    const half = Math.ceil(messages.length / 2);
    const send = async (part: KeyedMessage[]) => {
      for (const send of sendsOf(part, w.batchSize)) {
        await producer.send({ messages: send.map((m) => ({ topic: w.topic, key: m.key, value: m.value })) });
      }
    };
    await Promise.all([send(messages.slice(0, half)), send(messages.slice(half))]);
    timing.finished();
  } finally {
    await producer.close();
  }
}
