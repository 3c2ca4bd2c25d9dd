import type { Kafka } from 'kafkajs';

/** How many messages a consumer group has not yet committed, over all partitions of `topics`. */
export async function consumerLag(kafka: Kafka, groupId: string, topics: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const done = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const end of ends) {
        const c = done.find((p) => p.partition === end.partition);
        const at = c && c.offset !== '-1' ? BigInt(c.offset) : BigInt(end.low);
        lag += Number(BigInt(end.high) - at);
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
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
