import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

/** One record of a topic, with where it sits. */
export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** The record's timestamp, ms since the epoch (CreateTime: when its producer made it). */
  timestamp: number;
}

export interface ReadToEndResult {
  /** Records passed to `onBatch`. */
  records: number;
  /** Per partition, the end offset (exclusive) that was read up to. */
  ends: Record<number, string>;
}

/**
 * Reads a topic from its first retained record up to the end it had when the call started, handing
 * records to `onBatch` in order per partition. Records produced meanwhile are not read, so the call
 * always ends. Uses a throw-away consumer group (deleted afterwards) and commits nothing, so running
 * it again reads the same records: for tools that inspect or re-send a topic's content.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  onBatch: (records: TopicRecord[]) => Promise<void>,
): Promise<ReadToEndResult> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `edusage-reader-${randomUUID()}`;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends: Record<number, string> = {};
    const pending = new Set<number>();
    for (const o of offsets) {
      ends[o.partition] = o.high;
      if (BigInt(o.high) > BigInt(o.low)) pending.add(o.partition);
    }
    let records = 0;
    let failed = false;
    if (pending.size > 0) {
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
      await consumer.connect();
      try {
        await new Promise<void>((resolve, reject) => {
          // kafkajs restarts itself after a retriable error (e.g. the group coordinator still loading
          // after a broker restart): only a crash it will not recover from ends the read.
          consumer.on(consumer.events.CRASH, (e) => {
            if (!e.payload.restart) reject(e.payload.error);
          });
          consumer
            .subscribe({ topics: [topic], fromBeginning: true })
            .then(() =>
              consumer.run({
                autoCommit: false,
                eachBatch: async ({ batch }) => {
                  if (failed || !pending.has(batch.partition)) return;
                  const end = BigInt(ends[batch.partition]!);
                  const wanted = batch.messages.filter((m) => BigInt(m.offset) < end);
                  if (wanted.length > 0) {
                    // A failing handler ends the read (the caller decides), instead of kafkajs retrying it.
                    await onBatch(
                      wanted.map((m) => ({
                        partition: batch.partition,
                        offset: m.offset,
                        key: m.key?.toString('utf8') ?? null,
                        value: m.value?.toString('utf8') ?? null,
                        timestamp: Number(m.timestamp),
                      })),
                    ).catch((err: unknown) => {
                      failed = true;
                      reject(err instanceof Error ? err : new Error(String(err)));
                    });
                    if (failed) return;
                    records += wanted.length;
                  }
                  const last = batch.messages[batch.messages.length - 1];
                  if (last && BigInt(last.offset) + 1n >= end) {
                    pending.delete(batch.partition);
                    if (pending.size === 0) resolve();
                  }
                },
              }),
            )
            .catch(reject);
        });
      } finally {
        await consumer.disconnect().catch(() => undefined);
      }
    }
    return { records, ends };
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
