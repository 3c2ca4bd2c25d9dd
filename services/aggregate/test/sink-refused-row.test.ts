import { Readable } from 'node:stream';
import { command, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createKafka } from '@edusage/kafka';
import { waitFor } from '@edusage/testkit';
import { makeEnrichedEvents } from './enriched-fixtures';
import { groupOf, produceEnriched, startWorker, storedCounts, suiteEnvs, testLogger } from './sink-harness';

jest.setTimeout(300_000);

/** The event_id ClickHouse "refuses" (a data error, as 18.16 words one) whenever an INSERT carries it. */
const REFUSED = 'refused-by-clickhouse';

/**
 * A row writer whose INSERTs into usage_events fail as a type mismatch when they carry REFUSED, while
 * `refusing.on` (the cause an operator fixes before `dlq replay`); with `refusing.unreachable`, as a lost
 * connection instead (retried, nothing refused).
 */
function refusingMarkedRow(refusing: { on: boolean; unreachable?: boolean }) {
  return (client: ClickHouseClient): ClickHouseClient =>
    new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'exec') {
          return async (params: Parameters<ClickHouseClient['exec']>[0]) => {
            if (!refusing.on || !/^\s*INSERT INTO `?usage_events/i.test(params.query) || !('values' in params))
              return target.exec(params);
            const chunks: Buffer[] = [];
            for await (const chunk of params.values as Readable) chunks.push(Buffer.from(chunk as Buffer));
            const body = Buffer.concat(chunks);
            if (body.includes(REFUSED) && refusing.unreachable) throw new Error('socket hang up (the test)');
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

/** Rows of usage_events holding the event with this dedup_key. */
async function storedOf(ch: ClickHouseClient, dedupKey: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    ch,
    `SELECT toString(count()) AS n FROM usage_events WHERE dedup_key = '${dedupKey}'`,
  );
  return Number(row?.n);
}

/** Waits until the worker's group has committed both topics to their ends. */
async function committedToEnds(kafka: ReturnType<typeof createKafka>, group: string, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        const lagging: string[] = [];
        for (const topic of topics) {
          const ends = await admin.fetchTopicOffsets(topic);
          const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
          for (const end of ends) {
            const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
            if (BigInt(at) < BigInt(end.high)) lagging.push(`${topic}/${end.partition}`);
          }
        }
        return lagging;
      },
      (lagging) => lagging.length === 0,
      { what: 'topics committed to their ends', timeoutMs: 60_000 },
    );
  } finally {
    await admin.disconnect();
  }
}

// A row ClickHouse refuses goes to the dead letters once (docs/ARCHITECTURE.md "When the sink folds":
// the message sought back to for an owed fold had its dead letters sent when it first came).
describe('aggregate sink: a row ClickHouse refuses', () => {
  const envs = suiteEnvs(1);
  afterAll(() => envs.cleanup());

  it('at the end of a put-off batch is dead-lettered once, though the seek back for its fold reads it again', async () => {
    const { env, ch } = await envs.fresh('sink_refused_seek');
    const good = makeEnrichedEvents(20, 47, 0);
    const refused = { ...good[0]!, event_id: REFUSED, dedup_key: 'e'.repeat(32) };
    const kafka = createKafka(env.config, testLogger);
    const group = groupOf(env, 'refused-seek');
    // Long enough that the refused row's batch is surely stored within the interval of the fold before
    // it (a loaded machine), so its fold is put off and only a seek back folds it.
    const sink = await startWorker(env, ch, 'refused-seek', refusingMarkedRow({ on: true }), {
      foldIntervalMs: 15_000,
      maxWaitTimeInMs: 1_000,
    });
    try {
      await produceEnriched(sink.producer, env.topics.enriched, good);
      // Folded and committed (by a seek back too, if they came in several batches): nothing owed.
      await committedToEnds(kafka, group, [env.topics.enriched]);
      const before = { ...sink.worker.stats };
      await produceEnriched(sink.producer, env.topics.enriched, [refused]);
      await waitFor(
        () => Promise.resolve({ ...sink.worker.stats }),
        (now) => now.foldsPutOff > before.foldsPutOff && now.foldSeeks > before.foldSeeks,
        { what: "the refused row's batch put off, then a seek back for its fold", timeoutMs: 90_000 },
      );
      // Everything of both topics committed: the sought-back batch is done (letters are sent before
      // the commit) and every letter it sent is stored in dead_letters.
      await committedToEnds(kafka, group, [env.topics.enriched, env.topics.dlq]);
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

  /**
   * 20 good events and the marked one (its dedup_key `keyChar` × 32) through a worker of group `name`
   * that refuses it; returns once both topics are committed to their ends (its letter stored).
   */
  async function refusedOnce(name: string, seed: number, keyChar: string, opts: { monthDroppedBefore?: boolean } = {}) {
    const { env, ch } = await envs.fresh(`sink_${name.replace('-', '_')}`);
    // Retention dropped the event's month an hour before (it came late, into a dropped month).
    if (opts.monthDroppedBefore)
      await command(
        ch,
        `INSERT INTO retention_drops (table_name, partition_id, dropped_at, done)
         VALUES ('usage_events', '202609', now() - 3600, 0), ('usage_events', '202609', now() - 3600, 1)`,
      );
    const good = makeEnrichedEvents(20, seed, 0);
    // On the earlier of the fixture's two days (2026-09-30): its month can be dropped alone.
    const earliest = good.find((e) => e.local_date === '2026-09-30')!;
    const refused = { ...earliest, event_id: REFUSED, dedup_key: keyChar.repeat(32) };
    const kafka = createKafka(env.config, testLogger);
    const refusing: { on: boolean; unreachable?: boolean } = { on: true };
    const group = groupOf(env, name);
    const sink = await startWorker(env, ch, name, refusingMarkedRow(refusing));
    await produceEnriched(sink.producer, env.topics.enriched, [...good, refused]);
    await committedToEnds(kafka, group, [env.topics.enriched, env.topics.dlq]);
    /** Sends the marked event again (what `dlq replay` produces: the same event, keyed as enrich keys it). */
    const sendAgain = async (producer = sink.producer) => {
      await produceEnriched(producer, env.topics.enriched, [refused]);
      await committedToEnds(kafka, group, [env.topics.enriched]);
    };
    /** Retention's drop of the refused event's month (begun, dropped, done), a second after the refusal at least. */
    const dropMonth = async () => {
      await new Promise((r) => setTimeout(r, 1_100));
      const record = (done: number) =>
        command(
          ch,
          `INSERT INTO retention_drops (table_name, partition_id, dropped_at, done) VALUES ('usage_events', '202609', now(), ${done})`,
        );
      await record(0);
      await command(ch, "ALTER TABLE usage_events DROP PARTITION ID '202609'");
      await record(1);
    };
    return {
      env,
      ch,
      good,
      refused,
      kafka,
      group,
      refusing,
      sink,
      sendAgain,
      dropMonth,
      stored: () => storedOf(ch, refused.dedup_key),
    };
  }

  /** Not stored; the cause fixed, its letter replayed: stored; replayed again: a duplicate of it. */
  async function expectReplayStoredOnce(s: {
    refusing: { on: boolean };
    sendAgain: () => Promise<void>;
    stored: () => Promise<number>;
  }): Promise<void> {
    expect(await s.stored()).toBe(0);
    s.refusing.on = false;
    // The same event again (what `dlq replay` produces): the same partition, a later offset.
    await s.sendAgain();
    expect(await s.stored()).toBe(1);
    await s.sendAgain();
    expect(await s.stored()).toBe(1);
  }

  it('is stored when sent again after the cause is fixed (a dlq replay), and only once', async () => {
    const { ch, good, refusing, sink, sendAgain, stored } = await refusedOnce('refused-replay', 53, 'd');
    try {
      expect(
        (
          await queryRows<{ n: string }>(
            ch,
            `SELECT toString(count()) AS n FROM dead_letters WHERE reason_code = 'rejected_by_clickhouse'`,
          )
        )[0]?.n,
      ).toBe('1');
      await expectReplayStoredOnce({ refusing, sendAgain, stored });
      expect((await storedCounts(ch)).rows).toBe(good.length + 1);
    } finally {
      await sink.stop();
    }
  });

  it('redelivered after the cause is fixed, it is stored, and a replay of its letter then is a duplicate', async () => {
    const first = await refusedOnce('refused-redelivered', 59, 'c');
    const { env, ch, good, kafka, group, refusing, stored } = first;
    let sink = first.sink;
    try {
      expect(await stored()).toBe(0);
      // The refused message comes again (its group's offset set back to it, as after a crash between
      // its letter and the commit) once the cause is fixed: stored, though its claim was refused.
      await sink.stop();
      const admin = kafka.admin();
      await admin.connect();
      await admin
        .setOffsets({
          groupId: group,
          topic: env.topics.enriched,
          partitions: [{ partition: 0, offset: String(good.length) }],
        })
        .finally(() => admin.disconnect());
      refusing.on = false;
      sink = await startWorker(env, ch, 'refused-redelivered', refusingMarkedRow(refusing));
      await committedToEnds(kafka, group, [env.topics.enriched]);
      expect(await stored()).toBe(1);
      // Then the letter replayed: the event is stored already.
      await first.sendAgain(sink.producer);
      expect(await stored()).toBe(1);
      expect((await storedCounts(ch)).rows).toBe(good.length + 1);
      // Retention drops its month (the claims stay): whether it was stored is no longer in
      // usage_events, so its owner keeps it and a re-import is still a duplicate.
      await first.dropMonth();
      expect((await storedCounts(ch)).rows).toBeGreaterThan(0);
      await first.sendAgain(sink.producer);
      expect(await stored()).toBe(0);
    } finally {
      await sink.stop();
    }
  });

  it('refused in a month retention dropped before (a late event), it is stored when replayed', async () => {
    const { refusing, sink, sendAgain, stored } = await refusedOnce('refused-late', 61, 'b', {
      monthDroppedBefore: true,
    });
    try {
      await expectReplayStoredOnce({ refusing, sendAgain, stored });
    } finally {
      await sink.stop();
    }
  });

  it('its replay claimed but not stored when the month is dropped: the replay still owns it, and is stored', async () => {
    const first = await refusedOnce('refused-inflight', 67, 'a');
    const { ch, kafka, group, refusing, stored } = first;
    let sink = first.sink;
    try {
      // The replay's INSERT cannot reach ClickHouse (a lost connection, not a refusal): its claim is written,
      // its row is not, and the worker stops while retrying (nothing committed).
      refusing.unreachable = true;
      const retries = sink.worker.stats.retries;
      await produceEnriched(sink.producer, first.env.topics.enriched, [first.refused]);
      await waitFor(
        () => Promise.resolve(sink.worker.stats.retries),
        (n) => n > retries,
        { what: "the replay's INSERT retried", timeoutMs: 60_000 },
      );
      await sink.stop();
      // Retention drops the month meanwhile (no unfolded row is in it: the replay's never came).
      await first.dropMonth();
      refusing.on = false;
      refusing.unreachable = false;
      sink = await startWorker(first.env, ch, 'refused-inflight', refusingMarkedRow(refusing));
      await committedToEnds(kafka, group, [first.env.topics.enriched]);
      expect(await stored()).toBe(1);
    } finally {
      await sink.stop();
    }
  });
});
