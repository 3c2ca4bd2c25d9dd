import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { waitFor } from '@edusage/testkit';
import { makeEnrichedEvents, referenceDistrictRollup } from './enriched-fixtures';
import { createKafka, createProducer } from '@edusage/kafka';
import {
  produceEnriched,
  readDistrictRollup,
  sortedReference,
  startWorker,
  suiteEnvs,
  storedCounts,
  testLogger,
} from './sink-harness';

jest.setTimeout(240_000);

// When the sink folds (FoldSchedule, FoldRunner): fewer folds under a backlog, nothing left unfolded
// for good, never two folds of a partition at once.
describe('aggregate sink: rollup folds put off under a backlog, against real Kafka and ClickHouse', () => {
  const envs = suiteEnvs(3);
  const freshEnv = (name: string) => envs.fresh(name);
  afterAll(() => envs.cleanup());

  const foldsRecorded = async (ch: ClickHouseClient) =>
    Number((await queryRows<{ n: string }>(ch, 'SELECT toString(count()) AS n FROM rollup_watermarks'))[0]?.n ?? 0);

  /** The folded ranges of the district rollup as `partition:start-end`, and the ones the watermarks say. */
  async function rangesAndMarks(ch: ClickHouseClient): Promise<{ ranges: string[]; marks: string[] }> {
    const rows = await queryRows<{ p: number; s: string; e: string }>(
      ch,
      `SELECT DISTINCT kafka_partition AS p, toString(range_start) AS s, toString(range_end) AS e
       FROM rollup_district_app_daily_parts FINAL ORDER BY p, range_start`,
    );
    const ends = await queryRows<{ p: number; m: string }>(
      ch,
      'SELECT DISTINCT kafka_partition AS p, toString(derived_to) AS m FROM rollup_watermarks ORDER BY p, derived_to',
    );
    const marks: string[] = [];
    let at = { p: -1, from: '0' };
    for (const e of ends) {
      if (Number(e.p) !== at.p) at = { p: Number(e.p), from: '0' };
      marks.push(`${e.p}:${at.from}-${e.m}`);
      at.from = e.m;
    }
    return { ranges: rows.map((r) => `${r.p}:${r.s}-${r.e}`), marks };
  }

  it("stays exact while the timer's put-off folds and the batches' folds of a partition interleave", async () => {
    const { env, ch } = await freshEnv('sink_fold_timer');
    const events = makeEnrichedEvents(12_000, 43, 0);
    const expected = sortedReference(referenceDistrictRollup(events));
    const unique = expected.reduce((s, [, c]) => s + c.events, 0);
    const producer = await createProducer(createKafka(env.config, testLogger));
    await produceEnriched(producer, env.topics.enriched, events);
    await producer.disconnect();
    // A timer every 100 ms against batches of 64 KiB: put-off folds come due while batches fold.
    const sink = await startWorker(env, ch, 'fold-timer', undefined, {
      foldIntervalMs: 200,
      maxBytesPerPartition: 65_536,
    });
    try {
      await waitFor(
        () => storedCounts(ch),
        (c) => c.offsets >= unique,
        { what: 'every event stored', timeoutMs: 120_000 },
      );
      const got = await waitFor(
        () => readDistrictRollup(ch),
        (r) => JSON.stringify(r) === JSON.stringify(expected),
        { what: 'rollups equal to the reference', timeoutMs: 30_000 },
      );
      expect(got).toEqual(expected);
      // Every watermark is the end of the folded range that starts at the one before it (what
      // `derivedRanges` and the late-roster re-folds go by).
      // (A fold writes its watermark after its rows: wait for the last one.)
      const { ranges, marks } = await waitFor(
        () => rangesAndMarks(ch),
        (r) => JSON.stringify(r.ranges) === JSON.stringify(r.marks),
        { what: 'every folded range ending at a watermark', timeoutMs: 10_000 },
      );
      expect(ranges).toEqual(marks);
      expect(sink.worker.stats.batches).toBeGreaterThan(marks.length);
    } finally {
      await sink.stop();
    }
  });

  it('folds a backlog in a few folds, not one per batch, and ends with exact rollups', async () => {
    const { env, ch } = await freshEnv('sink_fold_backlog');
    const events = makeEnrichedEvents(12_000, 41, 0);
    const expected = sortedReference(referenceDistrictRollup(events));
    const unique = expected.reduce((s, [, c]) => s + c.events, 0);
    // The whole backlog is there before the worker starts, fetched 64 KiB per partition at a time.
    const producer = await createProducer(createKafka(env.config, testLogger));
    await produceEnriched(producer, env.topics.enriched, events);
    await producer.disconnect();

    const sink = await startWorker(env, ch, 'fold-backlog', undefined, {
      foldIntervalMs: 60_000,
      maxBytesPerPartition: 65_536,
    });
    try {
      const got = await waitFor(
        () => readDistrictRollup(ch),
        (r) => JSON.stringify(r) === JSON.stringify(expected),
        { what: 'rollups equal to the reference', timeoutMs: 120_000 },
      );
      expect(got).toEqual(expected);
      expect((await storedCounts(ch)).offsets).toBe(unique);
      // Per partition: the first batch (nothing known of its last fold) and the caught-up last one.
      const batches = sink.worker.stats.batches;
      const folds = await foldsRecorded(ch);
      expect(batches).toBeGreaterThanOrEqual(15);
      expect(folds).toBeLessThanOrEqual(2 * 3);
      // (A fold writes its watermark after its rows: wait for the last one.)
      const { ranges, marks } = await waitFor(
        () => rangesAndMarks(ch),
        (r) => JSON.stringify(r.ranges) === JSON.stringify(r.marks),
        { what: 'every folded range ending at a watermark', timeoutMs: 10_000 },
      );
      expect(ranges).toEqual(marks);
    } finally {
      await sink.stop();
    }
  });

  it('folds what a crashed owner committed without folding, though no message comes after it', async () => {
    const { env, ch } = await freshEnv('sink_fold_takeover');
    const events = makeEnrichedEvents(3_000, 42, 0);
    const expected = sortedReference(referenceDistrictRollup(events));
    const unique = expected.reduce((s, [, c]) => s + c.events, 0);
    // The first owner stores and commits every batch and dies before any of its put-off folds ran.
    const first = await startWorker(env, ch, 'fold-takeover', undefined, { neverFolds: true });
    await produceEnriched(first.producer, env.topics.enriched, events);
    await waitFor(
      () => storedCounts(ch),
      (c) => c.offsets >= unique,
      { what: 'the first owner stored the events', timeoutMs: 120_000 },
    );
    await first.stop();
    expect(await readDistrictRollup(ch)).toEqual([]);

    // The next owner gets no message at all: it folds from the group's committed offsets.
    const next = await startWorker(env, ch, 'fold-takeover', undefined, { foldIntervalMs: 1_000 });
    try {
      const got = await waitFor(
        () => readDistrictRollup(ch),
        (r) => JSON.stringify(r) === JSON.stringify(expected),
        { what: 'rollups equal to the reference', timeoutMs: 60_000 },
      );
      expect(got).toEqual(expected);
      expect(next.worker.stats.batches).toBe(0);
    } finally {
      await next.stop();
    }
  });
});
