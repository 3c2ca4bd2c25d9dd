import { randomUUID } from 'node:crypto';
import {
  command,
  createClickHouse,
  dropDatabase,
  ensureDatabase,
  insertRows,
  runMigrations,
  sqlIdentifier,
  type ClickHouseConfig,
} from '@edusage/clickhouse';
import { createConsumer, createProducer, deleteTopics, recreateTopics, type Kafka } from '@edusage/kafka';
import { deriveRollups, FoldSuperseded } from '@edusage/aggregate';
import type { Body } from './load';

export interface BareResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  detail: Record<string, number | string>;
}

/**
 * The RawMessage-shaped Kafka values ingest would write for these bodies (same size: the native
 * line wrapped in {v, event, received_at, channel, origin}), keyed like ingest (district|person).
 */
export function rawMessagesOf(bodies: Body[], limit: number): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  const receivedAt = new Date().toISOString();
  for (const b of bodies) {
    for (const line of b.text.split('\n')) {
      if (line.length === 0) continue;
      const user = /"user":\{"[a-z_]+":"([^"]+)"/.exec(line)?.[1] ?? 'unknown';
      out.push({
        key: `d1|${user}`,
        value: `{"v":1,"event":${line},"received_at":"${receivedAt}","channel":"http","origin":"${randomUUID()}"}`,
      });
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/**
 * Kafka alone: one producer (the services' settings: idempotent, acks=all, one request in flight)
 * sends the messages in batches of `batchSize`, `concurrency` sends at a time, while one consumer
 * group reads them (eachBatch, nothing done per message). Timed from the first send to the last
 * message consumed.
 */
export async function bareKafka(
  kafka: Kafka,
  topic: string,
  partitions: number,
  messages: { key: string; value: string }[],
  opts: { batchSize: number; concurrency: number; onProgress?: (produced: number, consumed: number) => void },
): Promise<BareResult> {
  await recreateTopics(kafka, [topic], partitions);
  const producer = await createProducer(kafka);
  const consumer = await createConsumer(kafka, `${topic}-reader-${randomUUID().slice(0, 8)}`);
  let consumed = 0;
  let produced = 0;
  let lastConsumedAt = 0;
  let done!: () => void;
  const allConsumed = new Promise<void>((r) => (done = r));
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length;
        lastConsumedAt = Date.now();
        if (consumed >= messages.length) done();
      },
    });
    await joined;
    const progress = setInterval(() => opts.onProgress?.(produced, consumed), 2000);
    const start = Date.now();
    let next = 0;
    let producedAt = 0;
    const sender = async () => {
      while (next < messages.length) {
        const chunk = messages.slice(next, next + opts.batchSize);
        next += chunk.length;
        // Bare kafkajs on purpose (the baseline); the services send through sendAcknowledged.
        await producer.send({ topic, acks: -1, messages: chunk });
        produced += chunk.length;
      }
      producedAt = Date.now();
    };
    await Promise.all(Array.from({ length: opts.concurrency }, sender));
    await allConsumed;
    clearInterval(progress);
    const seconds = (lastConsumedAt - start) / 1000;
    return {
      events: messages.length,
      seconds,
      eventsPerSecond: messages.length / seconds,
      detail: {
        produceOnlyEventsPerSecond: Math.round(messages.length / ((producedAt - start) / 1000)),
        avgMessageBytes: Math.round(messages.reduce((a, m) => a + m.value.length + m.key.length, 0) / messages.length),
        partitions,
      },
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await deleteTopics(kafka, [topic]).catch(() => undefined);
  }
}

/**
 * ClickHouse alone: the given usage_events rows inserted as JSONEachRow in batches of `batchSize`,
 * `concurrency` INSERTs at a time (the sink's partitions processed concurrently), into
 * (a) a plain table of usage_events' structure and engine (INSERT only), and
 * (b) usage_events in a scratch database with every migration applied, each INSERT followed by the
 * sink's rollup derivation for the partitions it touched, which is what storing a batch costs the sink.
 */
export async function bareClickHouse(
  config: ClickHouseConfig,
  migrationsDir: string,
  scratchDatabase: string,
  rows: object[],
  opts: { batchSize: number; concurrency: number },
): Promise<{ plain: BareResult; withRollups: BareResult }> {
  const scratch = { ...config, CLICKHOUSE_DATABASE: scratchDatabase };
  await dropDatabase(scratch);
  await ensureDatabase(scratch);
  const ch = createClickHouse(scratch);
  try {
    await runMigrations(ch, migrationsDir);
    await command(ch, `CREATE TABLE bare_usage_events AS ${sqlIdentifier(scratchDatabase)}.usage_events`);
    const plain = await timedInserts(ch, 'bare_usage_events', rows, opts);
    // A partition's folds one at a time, as the sink's (one batch per partition at a time).
    const folding = new Map<string, Promise<unknown>>();
    const withRollups = await timedInserts(ch, 'usage_events', rows, opts, async (chunk) => {
      // Each partition is folded up to one past the highest offset this chunk stored for it.
      const ends = new Map<string, bigint>();
      for (const r of chunk) {
        const key = `${String(r['kafka_topic'])}\u0000${String(r['kafka_partition'])}`;
        const end = BigInt(String(r['kafka_offset'])) + 1n;
        if (end > (ends.get(key) ?? 0n)) ends.set(key, end);
      }
      for (const [key, end] of ends) {
        const [topic, partition] = key.split('\u0000') as [string, string];
        // Refused when another worker's chunk was stored beyond `end` meanwhile: its fold covers this.
        const fold = (folding.get(key) ?? Promise.resolve()).then(() =>
          deriveRollups(ch, topic, Number(partition), end).catch((err: unknown) => {
            if (!(err instanceof FoldSuperseded)) throw err;
            return null;
          }),
        );
        folding.set(
          key,
          fold.catch(() => undefined),
        );
        await fold;
      }
    });
    return { plain, withRollups };
  } finally {
    await ch.close();
    await dropDatabase(scratch).catch(() => undefined);
  }
}

async function timedInserts(
  ch: ReturnType<typeof createClickHouse>,
  table: string,
  rows: object[],
  opts: { batchSize: number; concurrency: number },
  afterInsert?: (chunk: Record<string, unknown>[]) => Promise<void>,
): Promise<BareResult> {
  let next = 0;
  let inserts = 0;
  const start = Date.now();
  const worker = async () => {
    while (next < rows.length) {
      const chunk = rows.slice(next, next + opts.batchSize);
      next += chunk.length;
      await insertRows(ch, table, chunk);
      await afterInsert?.(chunk as Record<string, unknown>[]);
      inserts += 1;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (Date.now() - start) / 1000;
  return {
    events: rows.length,
    seconds,
    eventsPerSecond: rows.length / seconds,
    detail: { table, inserts, batchSize: opts.batchSize, concurrency: opts.concurrency },
  };
}
