import type { Kafka } from 'kafkajs';

/**
 * Creates the topics that do not exist yet (the broker runs with auto-creation off, so a typo in a
 * topic name fails loudly instead of silently creating an empty topic). Existing topics are left as they are.
 */
export async function ensureTopics(kafka: Kafka, topics: string[], partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
      })),
    });
  } catch (err) {
    // Another process may have created the same topic between list and create.
    if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
  } finally {
    await admin.disconnect();
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
