import type { Kafka } from 'kafkajs';

/** Each partition's end offset (the next message's), to wait later for a group to pass them. */
export type EndOffsets = Map<number, bigint>;

async function withAdmin<T>(kafka: Kafka, run: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Messages of `topic` the group has not committed: up to the topic's current end, or up to `until`
 * (end offsets read earlier), so a busy topic's newer messages do not count. A partition the group never
 * committed counts from its start.
 */
async function uncommitted(
  admin: ReturnType<Kafka['admin']>,
  groupId: string,
  topic: string,
  until?: EndOffsets,
): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let left = 0n;
  for (const end of await admin.fetchTopicOffsets(topic)) {
    const c = committed?.partitions.find((p) => p.partition === end.partition);
    const at = c && c.offset !== '-1' ? BigInt(c.offset) : BigInt(end.low);
    const to = until?.get(end.partition) ?? BigInt(end.high);
    if (to > at) left += to - at;
  }
  return Number(left);
}

/** How many messages a consumer group has not yet committed, over all partitions of `topics`. */
export async function consumerLag(kafka: Kafka, groupId: string, topics: string[]): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    let lag = 0;
    for (const topic of topics) lag += await uncommitted(admin, groupId, topic);
    return lag;
  });
}

/** The topic's end offsets now. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<EndOffsets> {
  return withAdmin(
    kafka,
    async (admin) => new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)])),
  );
}

/** Messages before `until` (end offsets read earlier) that the group has not committed yet. */
export async function uncommittedBefore(
  kafka: Kafka,
  groupId: string,
  topic: string,
  until: EndOffsets,
): Promise<number> {
  return withAdmin(kafka, (admin) => uncommitted(admin, groupId, topic, until));
}

const UNREACHABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
]);

/**
 * What a failed lag read may say to an admin: Kafka's own protocol error text (kafkajs' fixed strings
 * such as "This server does not host this topic-partition"; only a SASL failure, not configured here,
 * carries the broker's own text), "the brokers did not answer", or that it was something else; never
 * kafkajs' connection messages, which name the brokers' addresses. The caller logs the error itself.
 */
export function lagErrorText(err: unknown): string {
  let e: unknown = err;
  // A few causes deep at most (kafkajs wraps once or twice; a cycle must not hang the answer).
  for (let depth = 0; depth < 10 && e instanceof Error; depth++, e = (e as { cause?: unknown }).cause) {
    if (e.name.startsWith('KafkaJS') && typeof (e as { type?: unknown }).type === 'string') return e.message;
    if (UNREACHABLE.has(e.name)) return 'the brokers did not answer (the API log has the details)';
  }
  return 'an unexpected error (the API log has the details)';
}
