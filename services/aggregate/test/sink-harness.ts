import { Readable } from 'node:stream';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { EnrichedEvent } from '@edusage/contracts';
import { createConsumer, createKafka, createProducer, produceJson, type Producer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import type { GatherOptions } from '../src/batch-gathering';
import { deadLetterHandler, enrichedHandler } from '../src/handlers';
import type { SinkTimings } from '../src/sink-timings';
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

/** Environments (own topics, database and Redis keys) a suite makes one per test, cleaned up together. */
export function suiteEnvs(partitions: number): {
  fresh(name: string): Promise<{ env: TestEnv; ch: ClickHouseClient }>;
  cleanup(): Promise<void>;
} {
  const made: { env: TestEnv; ch: ClickHouseClient }[] = [];
  return {
    async fresh(name) {
      const env = await createTestEnv(name, { partitions });
      const made1 = { env, ch: createClickHouse(env.config) };
      made.push(made1);
      return made1;
    },
    async cleanup() {
      for (const m of made) await m.ch.close();
      for (const m of made) await m.env.cleanup();
    },
  };
}

/** A consumer group of the suite's own: other runs of the same test on the shared Kafka use other groups. */
export function groupOf(env: TestEnv, name: string): string {
  return `${env.config.KAFKA_TOPIC_PREFIX}${name}`;
}

/** How a test's worker differs from the default one. */
export interface WorkerVariant {
  /** `SinkWorker`'s fold interval (default 0: every batch folded before its commit). */
  foldIntervalMs?: number;
  maxBytesPerPartition?: number;
  /** How long an idle fetch waits at the broker (the service's AGGREGATE_FETCH_MAX_WAIT_MS; default 5 s). */
  maxWaitTimeInMs?: number;
  /** `SinkWorker`'s gathering of batches (default: every batch stored as it comes). */
  gather?: GatherOptions;
  /** What the worker reports of its timings (default: nothing). */
  timings?: SinkTimings;
}

/**
 * An in-process SinkWorker over the suite's topics in group `groupOf(env, groupId)`; `wrap` may
 * intercept its ClickHouse clients (the one for reads and derivations, and the row writer).
 */
export async function startWorker(
  env: TestEnv,
  unwrapped: ClickHouseClient,
  groupId: string,
  wrap: (client: ClickHouseClient) => ClickHouseClient = (client) => client,
  variant: WorkerVariant = {},
): Promise<{ worker: SinkWorker; producer: Producer; stop(): Promise<void> }> {
  const ch = wrap(unwrapped);
  const writer = createClickHouse(env.config, env.config.CLICKHOUSE_DATABASE, { keepAlive: false });
  const rowWriter = wrap(writer);
  const kafka = createKafka(env.config, testLogger);
  const producer = await createProducer(kafka);
  const group = groupOf(env, groupId);
  const consumer = await createConsumer(kafka, group, {
    sessionTimeout: 10_000,
    ...(variant.maxBytesPerPartition ? { maxBytesPerPartition: variant.maxBytesPerPartition } : {}),
    ...(variant.maxWaitTimeInMs ? { maxWaitTimeInMs: variant.maxWaitTimeInMs } : {}),
  });
  const worker = new SinkWorker({
    consumer,
    producer,
    ch,
    rowWriter,
    logger: testLogger,
    dlqTopic: env.topics.dlq,
    concurrency: 2,
    foldIntervalMs: variant.foldIntervalMs ?? 0,
    ...(variant.gather ? { gather: variant.gather } : {}),
    ...(variant.timings ? { timings: variant.timings } : {}),
    handlers: {
      [env.topics.enriched]: enrichedHandler(ch),
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
      await writer.close();
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

type InsertParams = Parameters<ClickHouseClient['insert']>[0];
type ExecParams = Parameters<ClickHouseClient['exec']>[0];

/** The real write, most of its body held back for `delayMs` (0: as it is). */
export type SendWrite = (delayMs?: number) => Promise<unknown>;

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A ClickHouse client whose writes pass through `intercept` first: a test uses it to do something to the
 * real server (kill it, hold a body back) at an exact step of the real worker. `write` sees every write
 * of rows into a table, whether sent by `insert` or as an `INSERT INTO t … ` through `exec`; `command`
 * sees statements (the rollup derivation).
 */
export function interceptClickHouse(
  ch: ClickHouseClient,
  intercept: {
    write?: (table: string, send: SendWrite) => Promise<unknown>;
    command?: (
      params: Parameters<ClickHouseClient['command']>[0],
      real: ClickHouseClient['command'],
    ) => Promise<unknown>;
  },
): ClickHouseClient {
  const insert = (params: InsertParams) => {
    const send: SendWrite = async (delayMs = 0) => {
      if (delayMs === 0) return ch.insert(params);
      const rows = params.values as object[];
      const held = Readable.from(
        (async function* () {
          yield rows[0]!; // the request starts (an idle connection would be closed by the server)…
          await sleepMs(delayMs);
          yield* rows.slice(1); // …and the rest of its body comes late
        })(),
        { objectMode: true },
      );
      return ch.insert({ ...params, values: held });
    };
    return intercept.write!(params.table.replaceAll('`', ''), send);
  };
  const exec = (params: ExecParams) => {
    const table = /^\s*INSERT INTO `?(\w+)`?/i.exec(params.query)?.[1];
    if (table === undefined || !('values' in params)) return ch.exec(params);
    const send: SendWrite = async (delayMs = 0) => {
      if (delayMs === 0) return ch.exec(params);
      const original = params.values as Readable;
      const held = Readable.from(
        (async function* () {
          let first = true;
          for await (const chunk of original) {
            const bytes = chunk as Buffer;
            if (!first) {
              yield bytes;
              continue;
            }
            first = false;
            yield bytes.subarray(0, 64); // the request starts…
            await sleepMs(delayMs);
            yield bytes.subarray(64); // …and the rest of its body comes late
          }
        })(),
      );
      return ch.exec({ ...params, values: held });
    };
    return intercept.write!(table, send);
  };
  return new Proxy(ch, {
    get(target, prop, receiver) {
      if (prop === 'insert' && intercept.write) return insert;
      if (prop === 'exec' && intercept.write) return exec;
      if (prop === 'command' && intercept.command) {
        const real = target.command.bind(target);
        return (params: Parameters<ClickHouseClient['command']>[0]) => intercept.command!(params, real);
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
