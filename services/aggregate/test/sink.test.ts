import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { EnrichedEvent } from '@edusage/contracts';
import { createConsumer, createKafka, createProducer, produceJson, type Producer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, repoRoot, waitFor, type TestEnv } from '@edusage/testkit';
import { deadLetterHandler, enrichedHandler } from '../src/handlers';
import { SinkWorker } from '../src/sink-worker';
import { makeEnrichedEvents, prng, referenceDistrictRollup, type ReferenceCell } from './enriched-fixtures';

jest.setTimeout(240_000);

async function produceEnriched(producer: Producer, topic: string, events: EnrichedEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    await produceJson(
      producer,
      topic,
      events.slice(i, i + 1000).map((e) => ({ key: `${e.district_id}|${e.person_id}`, value: e })),
    );
  }
}

async function readDistrictRollup(ch: ClickHouseClient): Promise<Map<string, ReferenceCell>> {
  const rows = await queryRows<{
    k: string;
    events: string;
    users: string;
    seconds: string;
    minutes: string;
  }>(
    ch,
    `SELECT concat(district_id, '|', toString(local_date), '|', app_id, '|', role) AS k,
            sumMerge(events) AS events, uniqExactMerge(active_users) AS users,
            sumMerge(explicit_seconds) AS seconds, uniqExactIfMerge(active_minutes) AS minutes
     FROM rollup_district_app_daily GROUP BY district_id, local_date, app_id, role`,
  );
  return new Map(
    rows.map((r) => [
      r.k,
      {
        events: Number(r.events),
        users: Number(r.users),
        explicitSeconds: Number(r.seconds),
        activeMinutes: Number(r.minutes),
      },
    ]),
  );
}

async function storedCount(ch: ClickHouseClient): Promise<number> {
  const rows = await queryRows<{ n: string }>(ch, 'SELECT count() AS n FROM usage_events');
  return Number(rows[0]?.n ?? 0);
}

function sortedEntries(m: Map<string, ReferenceCell>): [string, ReferenceCell][] {
  return [...m].sort(([a], [b]) => a.localeCompare(b));
}

describe('aggregate sink against real Kafka, ClickHouse and Redis', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  const logger = createLogger('aggregate-test', 'warn');

  beforeAll(async () => {
    env = await createTestEnv('aggregate', { partitions: 3 });
    ch = createClickHouse(env.config);
  });

  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
  });

  it('stores every event once, removes source-level duplicates, and rolls up per day exactly', async () => {
    const kafka = createKafka(env.config, logger);
    const producer = await createProducer(kafka);
    const events = makeEnrichedEvents(3000, 7);
    await produceEnriched(producer, env.topics.enriched, events);
    // A message that is not an enriched event must end in the dead-letter table, not be lost.
    await producer.send({
      topic: env.topics.enriched,
      messages: [{ key: 'x', value: '{"v":1,"not":"enriched"}' }],
    });

    // Group ids carry the suite's own prefix: other runs of this suite on the shared Kafka use other groups.
    const consumer = await createConsumer(kafka, `${env.config.KAFKA_TOPIC_PREFIX}aggregate-inproc`);
    const rowWriter = createClickHouse(env.config, env.config.CLICKHOUSE_DATABASE, { keepAlive: false });
    const worker = new SinkWorker({
      consumer,
      producer,
      ch,
      rowWriter,
      logger,
      dlqTopic: env.topics.dlq,
      concurrency: 2,
      handlers: {
        [env.topics.enriched]: enrichedHandler(ch),
        [env.topics.dlq]: deadLetterHandler(),
      },
    });
    await worker.start();
    try {
      const expected = referenceDistrictRollup(events);
      const uniqueCount = [...expected.values()].reduce((s, c) => s + c.events, 0);
      expect(uniqueCount).toBeLessThan(events.length); // the fixture really has duplicates
      await waitFor(
        () => storedCount(ch),
        (n) => n >= uniqueCount,
        { what: 'all events stored' },
      );
      const letters = await waitFor(
        () => queryRows<{ reason_code: string; stage: string }>(ch, 'SELECT reason_code, stage FROM dead_letters'),
        (rows) => rows.length >= 1,
        { what: 'dead letter stored' },
      );
      expect(letters).toEqual([{ reason_code: 'invalid_field', stage: 'aggregate' }]);
      expect(await storedCount(ch)).toBe(uniqueCount);
      // The rollup is folded after the last rows are visible: wait for it, then compare.
      const rollup = await waitFor(
        async () => sortedEntries(await readDistrictRollup(ch)),
        (entries) => JSON.stringify(entries) === JSON.stringify(sortedEntries(expected)),
        { what: 'the rollup of every stored event', timeoutMs: 60_000 },
      ).catch(async () => sortedEntries(await readDistrictRollup(ch)));
      expect(rollup).toEqual(sortedEntries(expected));
      expect(worker.stats.duplicates).toBe(events.length - uniqueCount);
    } finally {
      await worker.stop();
      await producer.disconnect();
      await rowWriter.close();
    }
  });

  it('gives the same numbers when the worker is SIGKILLed at random points and restarted', async () => {
    // Topics, tables and Redis keys of its own, so this test does not depend on the one above.
    const crashEnv = await createTestEnv('aggregate_crash', { partitions: 3 });
    const crashCh = createClickHouse(crashEnv.config);
    const kafka = createKafka(crashEnv.config, logger);
    const producer = await createProducer(kafka);
    const events = makeEnrichedEvents(30_000, 11);
    // New topic content for a new group: reuse the topic, but consume with a new group from the start,
    // so the first test's events are part of the input too.
    await produceEnriched(producer, crashEnv.topics.enriched, events);
    await producer.disconnect();

    const main = path.join(repoRoot(), 'services', 'aggregate', 'dist', 'main.js');
    const childEnv = {
      ...process.env,
      ...crashEnv.env,
      AGGREGATE_GROUP_ID: `${crashEnv.config.KAFKA_TOPIC_PREFIX}aggregate-crash`,
      LOG_LEVEL: 'warn',
      AGGREGATE_MAX_BYTES_PER_PARTITION: '262144',
      AGGREGATE_SESSION_TIMEOUT_MS: '6000',
      AGGREGATE_HTTP_PORT: '0', // probes on any free port: suites run side by side
    };
    const start = (): ChildProcess =>
      spawn(process.execPath, [main], {
        env: childEnv,
        stdio: ['ignore', process.env.SINK_TEST_LOG ? 'inherit' : 'ignore', 'inherit'],
      });
    const expected = referenceDistrictRollup(events);
    const uniqueCount = [...expected.values()].reduce((s, c) => s + c.events, 0);
    const rand = prng(99);
    let kills = 0;
    let before = await storedCount(crashCh);
    for (let round = 0; round < 4 && before < uniqueCount; round++) {
      const child = start();
      const exited = once(child, 'exit');
      try {
        // Kill only once this run is visibly writing, at a random moment after that: mid-stream.
        before = await waitFor(
          () => storedCount(crashCh),
          (n) => n > before,
          {
            what: `progress in round ${round}`,
            timeoutMs: 60_000,
            intervalMs: 50,
          },
        );
        await new Promise((r) => setTimeout(r, rand() * 400));
      } finally {
        // Killed on a failed wait too: a worker left running would outlive the test run.
        child.kill('SIGKILL');
        await exited;
      }
      kills += 1;
      before = await storedCount(crashCh);
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    const finalRun = start();
    try {
      await waitFor(
        () => storedCount(crashCh),
        (n) => n >= uniqueCount,
        { what: 'all events stored after crashes', timeoutMs: 120_000 },
      );
      // The last batches are folded within the fold interval (AGGREGATE_FOLD_INTERVAL_MS, 5 s) of the
      // ones before, or by a seek back once the partition is idle: wait for the rollups to settle.
      const want = JSON.stringify(sortedEntries(expected));
      const rollups = await waitFor(
        async () => sortedEntries(await readDistrictRollup(crashCh)),
        (r) => JSON.stringify(r) === want,
        { what: 'the rollups equal to the reference', timeoutMs: 30_000 },
      ).catch(async () => sortedEntries(await readDistrictRollup(crashCh)));
      await new Promise((r) => setTimeout(r, 2000)); // anything stored or folded twice would show up now
      expect(await storedCount(crashCh)).toBe(uniqueCount);
      expect(rollups).toEqual(sortedEntries(expected));
      expect(sortedEntries(await readDistrictRollup(crashCh))).toEqual(sortedEntries(expected));
    } finally {
      // Graceful stop: SIGTERM ends the process cleanly (exit 0) within the shutdown timeout.
      finalRun.kill('SIGTERM');
      const [code] = (await once(finalRun, 'exit')) as [number | null];
      expect(code).toBe(0);
      await crashCh.close();
      await crashEnv.cleanup();
    }
  });
});
