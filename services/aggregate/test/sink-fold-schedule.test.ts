import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { waitFor } from '@edusage/testkit';
import { makeEnrichedEvents, referenceDistrictRollup } from './enriched-fixtures';
import { createKafka, createProducer } from '@edusage/kafka';
import {
  produceEnriched,
  readDistrictRollup,
  sortedReference,
  groupOf,
  startWorker,
  suiteEnvs,
  storedCounts,
  testLogger,
} from './sink-harness';

jest.setTimeout(240_000);

// When the sink folds (FoldSchedule): fewer folds under a backlog, and nothing left unfolded when a
// worker stops with batches committed unfolded.
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

  /**
   * Waits for the district rollup to equal the reference, then checks every offset is stored once and
   * every folded range ends at a watermark (a fold writes its watermark after its rows: wait for it).
   */
  async function expectExactRollups(
    ch: ClickHouseClient,
    expected: ReturnType<typeof sortedReference>,
    unique: number,
  ): Promise<void> {
    const got = await waitFor(
      () => readDistrictRollup(ch),
      (r) => JSON.stringify(r) === JSON.stringify(expected),
      { what: 'rollups equal to the reference', timeoutMs: 120_000 },
    );
    expect(got).toEqual(expected);
    expect((await storedCounts(ch)).offsets).toBe(unique);
    const { ranges, marks } = await waitFor(
      () => rangesAndMarks(ch),
      (r) => JSON.stringify(r.ranges) === JSON.stringify(r.marks),
      { what: 'every folded range ending at a watermark', timeoutMs: 10_000 },
    );
    expect(ranges).toEqual(marks);
  }

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
      await expectExactRollups(ch, expected, unique);
      // Per partition: the first batch (nothing known of its last fold) and the caught-up last one.
      const batches = sink.worker.stats.batches;
      const folds = await foldsRecorded(ch);
      expect(batches).toBeGreaterThanOrEqual(15);
      expect(folds).toBeLessThanOrEqual(2 * 3);
    } finally {
      await sink.stop();
    }
  });

  it('a worker stopped with batches committed unfolded: the next owner folds them with its first batch', async () => {
    const { env, ch } = await freshEnv('sink_fold_handover');
    const events = makeEnrichedEvents(12_000, 42, 0);
    const expected = sortedReference(referenceDistrictRollup(events));
    const unique = expected.reduce((s, [, c]) => s + c.events, 0);
    const kafka = createKafka(env.config, testLogger);
    const producer = await createProducer(kafka);
    await produceEnriched(producer, env.topics.enriched, events);
    await producer.disconnect();
    const variant = { foldIntervalMs: 60_000, maxBytesPerPartition: 65_536 };

    // The first owner stops a third of the way through the backlog, its last batches committed unfolded.
    const first = await startWorker(env, ch, 'fold-handover', undefined, variant);
    await waitFor(
      () => storedCounts(ch),
      (c) => c.offsets >= unique / 3,
      { what: 'a third of the backlog stored', timeoutMs: 120_000 },
    );
    await first.stop();
    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({
      groupId: groupOf(env, 'fold-handover'),
      topics: [env.topics.enriched],
    });
    await admin.disconnect();
    const marks = await queryRows<{ p: number; w: string }>(
      ch,
      'SELECT kafka_partition AS p, toString(max(derived_to)) AS w FROM rollup_watermarks GROUP BY kafka_partition',
    );
    const folded = new Map(marks.map((m) => [Number(m.p), BigInt(m.w)]));
    const unfolded = (committed?.partitions ?? []).filter(
      (c) => c.offset !== '-1' && BigInt(c.offset) > (folded.get(c.partition) ?? 0n),
    );
    expect(unfolded.length).toBeGreaterThan(0); // the case under test: committed, not folded

    const next = await startWorker(env, ch, 'fold-handover', undefined, variant);
    try {
      await expectExactRollups(ch, expected, unique);
    } finally {
      await next.stop();
    }
  });
});
