import { keepSetPartition } from './partition';
import { leaseProducer } from './renewed-producer';
import {
  CompressionTypes,
  type Kafka,
  type Message,
  type PartitionMetadata,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';

/**
 * Why this exists: kafkajs 2.2.4 (`producer/sendMessages.js`, upstream issue tulios/kafkajs#1303)
 * loses messages on a multi-broker cluster. When one request of a send fails (its broker died), the
 * retry regroups the partitions by their new leaders but only sends to brokers that have not answered
 * yet; the partitions that moved to a broker which already answered are skipped, and `send` resolves
 * as if everything was written. Found by e2e-kafka-cluster.test.ts (19 events of one ingest request
 * missing after a broker was SIGKILLed). So every send here names each message's partition itself
 * (Kafka's murmur2 of the key, partition.ts) and resends whatever partitions the acknowledgement
 * does not list, until all are acknowledged.
 */

/** Messages of one send, by topic. */
export interface TopicMessages {
  topic: string;
  messages: Message[];
}

/** How many times the skipped partitions are sent again before the send fails (each a full kafkajs retry cycle). */
const MAX_ROUNDS = 5;

/** The Kafka client each producer of `createProducer` was made from: the partition counts come from its metadata. */
const clients = new WeakMap<Producer, Kafka>();
/**
 * Partition counts by client and topic, read once per process: partitions are never removed, and a
 * topic given more partitions while a service runs keeps the old key → partition mapping (a valid
 * partition) until the service restarts.
 */
const counts = new WeakMap<Kafka, Map<string, number>>();

export function rememberClient(producer: Producer, kafka: Kafka): void {
  clients.set(producer, kafka);
}

/** The topic's partitions in the cluster's metadata, read once per client (see `counts`). */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  let byTopic = counts.get(kafka);
  if (!byTopic) counts.set(kafka, (byTopic = new Map()));
  const known = byTopic.get(topic);
  if (known !== undefined) return known;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const n = md.topics[0]?.partitions.length ?? 0;
    if (n === 0) throw new Error(`topic ${topic} has no partitions in the cluster's metadata`);
    byTopic.set(topic, n);
    return n;
  } finally {
    await admin.disconnect();
  }
}

/** A partitioner's view of a topic with `n` partitions that all have a leader (only the count matters for keyed messages). */
function metadataOf(n: number): PartitionMetadata[] {
  return Array.from({ length: n }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [],
    isr: [],
  }));
}

const partitioner = keepSetPartition();

/** Appends one by one: `push(...items)` passes every item as an argument and overflows the stack past ~120,000. */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/** The messages grouped as `topic/partition` → messages, each with its partition set. */
async function byPartition(kafka: Kafka, batches: TopicMessages[]): Promise<Map<string, TopicMessages>> {
  const groups = new Map<string, TopicMessages>();
  for (const { topic, messages } of batches) {
    const partitionMetadata = metadataOf(await partitionCount(kafka, topic));
    // Per partition number, its messages (a plain array: this runs for every message sent).
    const lists: Message[][] = [];
    const seen: number[] = [];
    for (const message of messages) {
      const partition = partitioner({ topic, partitionMetadata, message });
      let list = lists[partition];
      if (!list) {
        lists[partition] = list = [];
        seen.push(partition);
      }
      // Built field by field: an object spread here cost more than the rest of the loop.
      const placed: Message = { key: message.key, value: message.value, partition };
      if (message.headers !== undefined) placed.headers = message.headers;
      if (message.timestamp !== undefined) placed.timestamp = message.timestamp;
      list.push(placed);
    }
    for (const partition of seen) {
      const key = `${topic}/${partition}`;
      const earlier = groups.get(key); // the same topic twice in one send
      if (earlier) appendAll(earlier.messages, lists[partition]!);
      else groups.set(key, { topic, messages: lists[partition]! });
    }
  }
  return groups;
}

/**
 * Sends the messages with acks from all in-sync replicas and resolves only when every partition they
 * go to is acknowledged. Per-key order holds (one partition's messages stay in one request, in order).
 * Rejects when a send fails (kafkajs' own retries exhausted) or partitions stay unacknowledged.
 */
export async function sendAcknowledged(
  producer: Producer,
  batches: TopicMessages[],
  /** Aborted: the caller gave up; a send still waiting for its turn leaves without sending. */
  signal?: AbortSignal,
): Promise<RecordMetadata[]> {
  const kafka = clients.get(producer);
  // A producer not made by createProducer (a unit test's double) has no metadata to partition with.
  if (!kafka) return producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: batches });
  let pending = await byPartition(kafka, batches);
  const acknowledged: RecordMetadata[] = [];
  for (let round = 1; pending.size > 0; round++) {
    if (round > MAX_ROUNDS) {
      throw new Error(
        `Kafka did not acknowledge partitions ${[...pending.keys()].join(', ')} after ${MAX_ROUNDS} sends`,
      );
    }
    const topicMessages = new Map<string, Message[]>();
    for (const g of pending.values()) {
      const list = topicMessages.get(g.topic);
      if (list) appendAll(list, g.messages);
      else topicMessages.set(g.topic, [...g.messages]);
    }
    const lease = await leaseProducer(producer, signal);
    let result: RecordMetadata[];
    try {
      result = await lease.producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...topicMessages].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      lease.release(true);
      throw err;
    }
    lease.release(false);
    const next = new Map(pending);
    for (const r of result) {
      if (next.delete(`${r.topicName}/${r.partition}`)) acknowledged.push(r);
    }
    pending = next;
  }
  return acknowledged;
}
