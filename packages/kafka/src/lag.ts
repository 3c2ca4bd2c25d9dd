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

/** The offsets `groupId` committed on `topic`, by partition (a partition without a commit is left out). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const offsets = new Map<number, bigint>();
    for (const p of committed?.partitions ?? []) if (p.offset !== '-1') offsets.set(p.partition, BigInt(p.offset));
    return offsets;
  } finally {
    await admin.disconnect();
  }
}
