/**
 * End-to-end worker throughput on the real Kafka (opt-in: ENRICH_E2E_BENCH=<events>, e.g. 200000):
 * produces raw events, runs the worker in-process and times until every raw offset is committed.
 */
import { Redis } from 'ioredis';
import { createKafka, createProducer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { userPartitionKey } from '@edusage/contracts';
import { createTestEnv, waitFor } from '@edusage/testkit';
import { benchEvents, benchRoster } from '../src/bench';
import { loadEnrichConfig, saveRosterToRedis, startEnrichWorker } from '../src';

const N = Number(process.env.ENRICH_E2E_BENCH ?? 0);
const maybe = N > 0 ? it : it.skip;

maybe(
  'worker throughput end to end',
  async () => {
    const env = await createTestEnv('enrich_bench', { partitions: 6 });
    const config = loadEnrichConfig({
      ...env.env,
      PSEUDONYM_KEY: 'bench-key-0123456789abcdef',
      ENRICH_GROUP_ID: `bench-${env.config.CLICKHOUSE_DATABASE}`,
      ENRICH_PARTITIONS_CONCURRENTLY: '6',
    });
    const logger = createLogger('bench', 'warn');
    const kafka = createKafka(config, logger);
    const redis = new Redis(config.REDIS_URL);
    try {
      await saveRosterToRedis(redis, config.REDIS_KEY_PREFIX, 'd1', benchRoster(20_000));
      const producer = await createProducer(kafka);
      const events = benchEvents(N, 20_000);
      for (let i = 0; i < events.length; i += 2000) {
        await producer.send({
          topic: env.topics.raw,
          acks: -1,
          messages: events.slice(i, i + 2000).map((e) => ({
            key: userPartitionKey(e.event),
            value: JSON.stringify(e),
          })),
        });
      }
      await producer.disconnect();
      const started = Date.now();
      const cpu0 = process.cpuUsage();
      const worker = await startEnrichWorker({ config, logger, kafka, redis });
      const admin = kafka.admin();
      await admin.connect();
      await waitFor(
        async () => {
          const [c] = await admin.fetchOffsets({
            groupId: config.ENRICH_GROUP_ID,
            topics: [env.topics.raw],
          });
          return (c?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
        },
        (n) => n >= N,
        { timeoutMs: 600_000, intervalMs: 200, what: 'all offsets committed' },
      );
      const ms = Date.now() - started;
      const cpu = process.cpuUsage(cpu0);
      console.log(
        JSON.stringify({
          events: N,
          seconds: ms / 1000,
          events_per_s: Math.round((N / ms) * 1000),
          cpu_seconds: (cpu.user + cpu.system) / 1e6,
        }),
      );
      await admin.disconnect();
      await worker.stop();
    } finally {
      redis.disconnect();
      await env.cleanup();
    }
  },
  900_000,
);
