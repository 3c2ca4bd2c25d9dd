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
