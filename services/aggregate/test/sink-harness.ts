import { Redis } from 'ioredis';
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { EnrichedEvent } from '@edusage/contracts';
import { createConsumer, createKafka, createProducer, produceJson, type Producer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import type { TestEnv } from '@edusage/testkit';
import { deadLetterHandler, enrichedHandler } from '../src/handlers';
import { SinkWorker } from '../src/sink-worker';
import type { ReferenceCell } from './enriched-fixtures';

export const testLogger = createLogger('aggregate-test', process.env.TEST_LOG_LEVEL ?? 'warn');

export async function produceEnriched(producer: Producer, topic: string, events: EnrichedEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    await produceJson(
      producer,
      topic,
      events.slice(i, i + 1000).map((e) => ({ key: `${e.district_id}|${e.person_id}`, value: e })),
    );
  }
}

/** An in-process SinkWorker over the suite's topics, with the given ClickHouse client (maybe a wrapped one). */
export async function startWorker(
  env: TestEnv,
  ch: ClickHouseClient,
  groupId: string,
): Promise<{ worker: SinkWorker; producer: Producer; stop(): Promise<void> }> {
  const kafka = createKafka(env.config, testLogger);
  const producer = await createProducer(kafka);
  const redis = new Redis(env.config.REDIS_URL);
  const consumer = await createConsumer(kafka, groupId, { sessionTimeout: 10_000 });
  const worker = new SinkWorker({
    consumer,
    producer,
    ch,
    logger: testLogger,
    dlqTopic: env.topics.dlq,
    concurrency: 2,
    handlers: {
      [env.topics.enriched]: enrichedHandler(redis, env.config.REDIS_KEY_PREFIX, 35, ch),
      [env.topics.dlq]: deadLetterHandler(),
    },
  });
  await worker.start();
  return {
    worker,
    producer,
    async stop() {
      await worker.stop();
      await producer.disconnect();
      redis.disconnect();
    },
  };
}

export async function storedCounts(ch: ClickHouseClient): Promise<{ rows: number; offsets: number }> {
  const [r] = await queryRows<{ rows: string; offsets: string }>(
    ch,
    `SELECT toString(count()) AS rows,
            toString(uniqExact(kafka_topic, kafka_partition, kafka_offset)) AS offsets FROM usage_events`,
  );
  return { rows: Number(r?.rows ?? 0), offsets: Number(r?.offsets ?? 0) };
}

export async function readDistrictRollup(ch: ClickHouseClient): Promise<[string, ReferenceCell][]> {
  const rows = await queryRows<{ k: string; events: string; users: string; seconds: string; minutes: string }>(
    ch,
    `SELECT concat(district_id, '|', toString(local_date), '|', app_id, '|', role) AS k,
            sumMerge(events) AS events, uniqExactMerge(active_users) AS users,
            sumMerge(explicit_seconds) AS seconds, uniqExactIfMerge(active_minutes) AS minutes
     FROM rollup_district_app_daily GROUP BY district_id, local_date, app_id, role`,
  );
  return rows
    .map((r): [string, ReferenceCell] => [
      r.k,
      {
        events: Number(r.events),
        users: Number(r.users),
        explicitSeconds: Number(r.seconds),
        activeMinutes: Number(r.minutes),
      },
    ])
    .sort(([a], [b]) => a.localeCompare(b));
}

export function sortedReference(m: Map<string, ReferenceCell>): [string, ReferenceCell][] {
  return [...m].sort(([a], [b]) => a.localeCompare(b));
}

/**
 * A ClickHouse client whose `insert`/`command` calls pass through `intercept` first: a test uses it to
 * do something to the real server (kill it, slow a write down) at an exact step of the real worker.
 */
export function interceptClickHouse(
  ch: ClickHouseClient,
  intercept: {
    insert?: (params: Parameters<ClickHouseClient['insert']>[0], real: ClickHouseClient['insert']) => Promise<unknown>;
    command?: (
      params: Parameters<ClickHouseClient['command']>[0],
      real: ClickHouseClient['command'],
    ) => Promise<unknown>;
  },
): ClickHouseClient {
  return new Proxy(ch, {
    get(target, prop, receiver) {
      if (prop === 'insert' && intercept.insert) {
        const real = target.insert.bind(target);
        return (params: Parameters<ClickHouseClient['insert']>[0]) => intercept.insert!(params, real);
      }
      if (prop === 'command' && intercept.command) {
        const real = target.command.bind(target);
        return (params: Parameters<ClickHouseClient['command']>[0]) => intercept.command!(params, real);
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
