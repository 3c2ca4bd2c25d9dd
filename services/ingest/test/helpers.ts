import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { createConsumer } from '@edusage/kafka';
import { waitFor } from '@edusage/testkit';

export interface Collected<T = unknown> {
  topic: string;
  partition: number;
  key: string;
  value: T;
}

/**
 * Reads topics from the beginning into memory for the whole suite (own consumer group), so tests
 * can look up what they produced by origin (each test uses its own request id or file name).
 */
export class TopicCollector {
  readonly messages: Collected[] = [];
  private consumer: Consumer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: string[],
  ) {}

  async start(): Promise<void> {
    this.consumer = await createConsumer(this.kafka, `ingest-test-${randomBytes(4).toString('hex')}`);
    for (const topic of this.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    let joined = false;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.messages.push({
          topic,
          partition,
          key: message.key?.toString('utf8') ?? '',
          value: JSON.parse(message.value?.toString('utf8') ?? 'null'),
        });
      },
    });
    await waitFor(
      async () => joined,
      (j) => j,
      { what: 'test consumer to join its group' },
    );
  }

  /** Waits until `count` messages of `topic` match, then a little longer to catch any extra ones. */
  async waitFor<T = Record<string, unknown>>(
    topic: string,
    match: (value: T) => boolean,
    count: number,
  ): Promise<Collected<T>[]> {
    const pick = () => this.messages.filter((m) => m.topic === topic && match(m.value as T)) as Collected<T>[];
    await waitFor(
      async () => pick().length,
      (n) => n >= count,
      { what: `${count} message(s) on ${topic}`, timeoutMs: 30_000 },
    );
    await new Promise((r) => setTimeout(r, 750));
    return pick();
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export function isoMinutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString();
}
