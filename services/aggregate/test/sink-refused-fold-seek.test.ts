import { Readable } from 'node:stream';
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createKafka } from '@edusage/kafka';
import { waitFor } from '@edusage/testkit';
import { makeEnrichedEvents } from './enriched-fixtures';
import { groupOf, produceEnriched, startWorker, storedCounts, suiteEnvs, testLogger } from './sink-harness';

jest.setTimeout(120_000);

/** The event_id ClickHouse "refuses" (a data error, as 18.16 words one) whenever an INSERT carries it. */
const REFUSED = 'refused-by-clickhouse';

/** A row writer whose INSERTs into usage_events fail as a type mismatch when they carry REFUSED. */
function refusingMarkedRow(client: ClickHouseClient): ClickHouseClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'exec') {
        return async (params: Parameters<ClickHouseClient['exec']>[0]) => {
          if (!/^\s*INSERT INTO `?usage_events/i.test(params.query) || !('values' in params))
            return target.exec(params);
          const chunks: Buffer[] = [];
          for await (const chunk of params.values as Readable) chunks.push(Buffer.from(chunk as Buffer));
          const body = Buffer.concat(chunks);
          if (body.includes(REFUSED))
            throw new Error('Code: 53, e.displayText() = DB::Exception: Type mismatch (refused by the test)');
          return target.exec({ ...params, values: Readable.from([body]) });
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

// A row ClickHouse refuses goes to the dead letters once (docs/ARCHITECTURE.md "When the sink folds":
// the message sought back to for an owed fold had its dead letters sent when it first came).
describe('aggregate sink: a refused row at the end of a put-off batch', () => {
  const envs = suiteEnvs(1);
  afterAll(() => envs.cleanup());

  it('is dead-lettered once, though the seek back for its fold reads it again', async () => {
    const { env, ch } = await envs.fresh('sink_refused_seek');
    const good = makeEnrichedEvents(20, 47, 0);
    const refused = { ...good[0]!, event_id: REFUSED, dedup_key: 'e'.repeat(32) };
    const kafka = createKafka(env.config, testLogger);
    const sink = await startWorker(env, ch, 'refused-seek', refusingMarkedRow, {
      foldIntervalMs: 3_000,
      maxWaitTimeInMs: 1_000,
    });
    try {
      await produceEnriched(sink.producer, env.topics.enriched, good);
      await waitFor(
        () => storedCounts(ch),
        (c) => c.rows >= good.length,
        { what: 'good events stored', timeoutMs: 60_000 },
      );
      // Within the fold interval of the first batch: stored (refused), its fold put off, then owed by
      // an idle partition, so the worker seeks back to it and reads it again.
      await produceEnriched(sink.producer, env.topics.enriched, [refused]);
      await waitFor(
        () => Promise.resolve(sink.worker.stats.foldSeeks),
        (n) => n >= 1,
        { what: 'a seek back for the owed fold', timeoutMs: 60_000 },
      );
      // Everything of both topics committed: the sought-back batch is done (letters are sent before
      // the commit) and every letter it sent is stored in dead_letters.
      const admin = kafka.admin();
      await admin.connect();
      try {
        await waitFor(
          async () => {
            const lagging: string[] = [];
            for (const topic of [env.topics.enriched, env.topics.dlq]) {
              const ends = await admin.fetchTopicOffsets(topic);
              const [committed] = await admin.fetchOffsets({ groupId: groupOf(env, 'refused-seek'), topics: [topic] });
              for (const end of ends) {
                const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
                if (BigInt(at) < BigInt(end.high)) lagging.push(`${topic}/${end.partition}`);
              }
            }
            return lagging;
          },
          (lagging) => lagging.length === 0,
          { what: 'both topics committed to their ends', timeoutMs: 60_000 },
        );
      } finally {
        await admin.disconnect();
      }
      // Only the marked row is refused (the payload is not stored in ClickHouse: its origin is).
      const letters = await queryRows<{ origin: string }>(
        ch,
        `SELECT origin FROM dead_letters WHERE reason_code = 'rejected_by_clickhouse'`,
      );
      expect(letters).toHaveLength(1);
      expect(letters[0]!.origin).toMatch(new RegExp(`^${env.topics.enriched}/0/`));
      expect((await storedCounts(ch)).rows).toBe(good.length);
    } finally {
      await sink.stop();
    }
  });
});
