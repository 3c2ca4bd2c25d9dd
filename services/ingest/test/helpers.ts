import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Consumer, Kafka } from 'kafkajs';
import { createConsumer, createKafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { ApiKeyStore } from '../src/apikeys';
import { startIngest, type IngestService } from '../src/app';
import { loadIngestConfig, type IngestConfig } from '../src/config';

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

/** One ingest suite's world: its own topics, database and Redis prefix, the service, a topic collector. */
export interface IngestSuite {
  env: TestEnv;
  config: IngestConfig;
  service: IngestService;
  collector: TopicCollector;
  redis: Redis;
  /** The suite's API key store (no cache: a key made here works at once). */
  keys: ApiKeyStore;
  stop(): Promise<void>;
}

/**
 * Starts the real ingest service (listening on a free port) on a fresh test environment with `settings`
 * over its defaults, and a collector of usage.raw and usage.dlq; `stop` undoes it all. The suite makes
 * its API keys with `keys` before or after the start (lookups are not cached by the store it uses).
 */
export async function startIngestSuite(name: string, settings: Record<string, string> = {}): Promise<IngestSuite> {
  const env = await createTestEnv(name);
  const config = loadIngestConfig({ ...env.env, INGEST_PORT: '0', ...settings });
  const logger = createLogger(`${name}-test`, env.env.LOG_LEVEL);
  const redis = new Redis(config.REDIS_URL);
  const keys = new ApiKeyStore(redis, config.REDIS_KEY_PREFIX, 0);
  const service = await startIngest(config, logger, { listen: true });
  const collector = new TopicCollector(createKafka(config, logger), [env.topics.raw, env.topics.dlq]);
  await collector.start();
  return {
    env,
    config,
    service,
    collector,
    redis,
    keys,
    async stop() {
      await collector.stop();
      await service.stop();
      redis.disconnect();
      await env.cleanup();
    },
  };
}
