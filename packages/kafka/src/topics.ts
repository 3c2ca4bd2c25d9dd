import type { Admin, Kafka } from 'kafkajs';
import type { TopicReplication } from '@edusage/config';

/** One replica: the single local broker (the default of KAFKA_REPLICATION_FACTOR). */
export const SINGLE_REPLICA: TopicReplication = { replicationFactor: 1, minInsyncReplicas: 1 };

/**
 * Creates the topics that do not exist yet (the broker runs with auto-creation off, so a typo in a
 * topic name fails loudly instead of silently creating an empty topic), with `replication` replicas and
 * its `min.insync.replicas` (the producers write with acks=all, so an acknowledged event is on that many
 * brokers). Existing topics are left as they are.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  partitions: number,
  replication: TopicReplication = SINGLE_REPLICA,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await createMissing(admin, topics, partitions, replication);
        return;
      } catch (err) {
        // A cluster that just started may not have propagated the new topics' metadata to every broker
        // yet (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE while waiting for leaders): try again.
        const retriable = (err as { retriable?: unknown }).retriable === true;
        if (!retriable || attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

async function createMissing(
  admin: Admin,
  topics: string[],
  partitions: number,
  replication: TopicReplication,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor: replication.replicationFactor,
          configEntries: [{ name: 'min.insync.replicas', value: String(replication.minInsyncReplicas) }],
        })),
      });
    } catch (err) {
      // Another process may have created the same topic between list and create.
      if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
    }
  }
  // Every partition of every topic has a leader (a producer or consumer started now finds them).
  const md = await admin.fetchTopicMetadata({ topics });
  const leaderless = md.topics.flatMap((t) =>
    t.partitions.filter((p) => p.leader < 0).map((p) => `${t.name}/${p.partitionId}`),
  );
  if (leaderless.length > 0) {
    throw Object.assign(new Error(`partitions without a leader yet: ${leaderless.join(', ')}`), { retriable: true });
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Topic deletion completes in the background: waits (up to `timeoutMs`) until none of `topics` is listed any more. */
export async function waitTopicsGone(kafka: Kafka, topics: string[], timeoutMs = 30_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const existing = new Set(await admin.listTopics());
      if (!topics.some((t) => existing.has(t)) || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the topics if present and creates them again, empty, with `partitions` each. */
export async function recreateTopics(
  kafka: Kafka,
  topics: string[],
  partitions: number,
  replication: TopicReplication = SINGLE_REPLICA,
): Promise<void> {
  await deleteTopics(kafka, topics);
  await waitTopicsGone(kafka, topics);
  await ensureTopics(kafka, topics, partitions, replication);
}

/** Messages a topic holds now (end minus start offset, summed over its partitions) and its partition count. */
export async function topicMessageCount(
  kafka: Kafka,
  topic: string,
): Promise<{ messages: number; partitions: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return {
      messages: offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0),
      partitions: offsets.length,
    };
  } finally {
    await admin.disconnect();
  }
}
