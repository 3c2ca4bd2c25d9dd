import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { waitFor } from '@edusage/testkit';
import { makeEnrichedEvents, referenceDistrictRollup } from './enriched-fixtures';
import { createKafka, createProducer } from '@edusage/kafka';
import {
  produceEnriched,
  readDistrictRollup,
  sortedReference,
  groupOf,
  interceptClickHouse,
  startWorker,
  suiteEnvs,
  storedCounts,
  testLogger,
} from './sink-harness';

jest.setTimeout(240_000);

// When the sink folds (FoldSchedule): at most once per interval and partition, under a backlog and in a
// trickle alike; batches left unfolded are left uncommitted, folded by a later batch, a seek back when
// the partition goes idle, or their next owner.
describe('aggregate sink: rollup folds put off, against real Kafka and ClickHouse', () => {
  const envs = suiteEnvs(3);
  const freshEnv = (name: string) => envs.fresh(name);
  afterAll(() => envs.cleanup());

  const foldsRecorded = async (ch: ClickHouseClient) =>
    Number((await queryRows<{ n: string }>(ch, 'SELECT toString(count()) AS n FROM rollup_watermarks'))[0]?.n ?? 0);

  /** Per partition: the group's committed offset (-1: none) and the folded end (the watermark). */
  async function committedAndFolded(
    kafka: ReturnType<typeof createKafka>,
    env: Awaited<ReturnType<typeof freshEnv>>['env'],
    ch: ClickHouseClient,
    group: string,
  ): Promise<{ partition: number; committed: bigint; folded: bigint }[]> {
    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin
      .fetchOffsets({ groupId: groupOf(env, group), topics: [env.topics.enriched] })
      .finally(() => admin.disconnect());
    const marks = await queryRows<{ p: number; w: string }>(
      ch,
      'SELECT kafka_partition AS p, toString(max(derived_to)) AS w FROM rollup_watermarks GROUP BY kafka_partition',
    );
    const folded = new Map(marks.map((m) => [Number(m.p), BigInt(m.w)]));
    return (committed?.partitions ?? []).map((c) => ({
      partition: c.partition,
      committed: BigInt(c.offset),
      folded: folded.get(c.partition) ?? 0n,
    }));
  }

  /** Per partition: the end of what is stored (highest stored offset + 1). */
  async function storedEnds(ch: ClickHouseClient): Promise<Map<number, bigint>> {
    const rows = await queryRows<{ p: number; e: string }>(
      ch,
      'SELECT kafka_partition AS p, toString(max(kafka_offset) + 1) AS e FROM usage_events GROUP BY kafka_partition',
    );
    return new Map(rows.map((r) => [Number(r.p), BigInt(r.e)]));
  }

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

  /** A fresh environment and `count` events (seed `seed`) with their reference rollup. */
  async function scenario(name: string, count: number, seed: number) {
    const { env, ch } = await freshEnv(name);
    const events = makeEnrichedEvents(count, seed, 0);
    const expected = sortedReference(referenceDistrictRollup(events));
    const unique = expected.reduce((s, [, c]) => s + c.events, 0);
    return { env, ch, events, expected, unique, kafka: createKafka(env.config, testLogger) };
  }

  /** `scenario` with its events produced before any worker starts (a backlog). */
  async function backlogScenario(name: string, count: number, seed: number) {
    const sc = await scenario(name, count, seed);
    const producer = await createProducer(sc.kafka);
    await produceEnriched(producer, sc.env.topics.enriched, sc.events);
    await producer.disconnect();
    return sc;
  }

  /** Waits until every partition of `group` is committed to its stored end: nothing left held or owed. */
  async function expectAllCommitted(
    kafka: ReturnType<typeof createKafka>,
    env: Awaited<ReturnType<typeof freshEnv>>['env'],
    ch: ClickHouseClient,
    group: string,
  ): Promise<void> {
    const ends = await storedEnds(ch);
    const last = await waitFor(
      () => committedAndFolded(kafka, env, ch, group),
      (l) => l.every((c) => c.committed === ends.get(c.partition)),
      { what: 'every partition committed to its stored end', timeoutMs: 30_000 },
    );
    expect(last.map((c) => c.committed)).toEqual(last.map((c) => ends.get(c.partition)));
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
    // The whole backlog is there before the worker starts, fetched 64 KiB per partition at a time.
    const { env, ch, expected, unique } = await backlogScenario('sink_fold_backlog', 12_000, 41);

    const sink = await startWorker(env, ch, 'fold-backlog', undefined, {
      foldIntervalMs: 15_000,
      maxBytesPerPartition: 65_536,
      maxWaitTimeInMs: 1_000,
    });
    try {
      await expectExactRollups(ch, expected, unique);
      // Per partition: the first batch (nothing known of its last fold), and the seek back once the
      // interval passed for the batches after it.
      const batches = sink.worker.stats.batches;
      const folds = await foldsRecorded(ch);
      expect(batches).toBeGreaterThanOrEqual(15);
      expect(folds).toBeLessThanOrEqual(2 * 3);
      expect(sink.worker.stats.foldSeeks).toBeGreaterThan(0);
    } finally {
      await sink.stop();
    }
  });

  it('a trickle: each partition folded at most once per interval, committed never past the folded end, its idle tail folded', async () => {
    const { env, ch, events, expected, unique, kafka } = await scenario('sink_fold_trickle', 3_000, 43);
    const producer = await createProducer(kafka);
    // Over ~6 s of sending: the first batch folds, one fold after 4 s, and the tail (< 4 s after that)
    // is owed, so only a seek back can fold it. With 2 s the partitions' last batches (they come in the
    // same fetches) could all fall on a fold and need no seek: three runs in a row failed so, after a
    // full suite on 2026-12-06.
    const intervalMs = 4_000;
    const sink = await startWorker(env, ch, 'fold-trickle', undefined, {
      foldIntervalMs: intervalMs,
      maxWaitTimeInMs: 1_000,
    });
    const checks: { partition: number; committed: bigint; folded: bigint }[] = [];
    try {
      // 100 events every 200 ms for 6 s: the partitions stay caught up, a batch every few hundred ms.
      const started = Date.now();
      for (let i = 0; i < events.length; i += 100) {
        await produceEnriched(producer, env.topics.enriched, events.slice(i, i + 100));
        if (i % 1_000 === 0) checks.push(...(await committedAndFolded(kafka, env, ch, 'fold-trickle')));
        await new Promise((r) => setTimeout(r, 200));
      }
      const sendingMs = Date.now() - started;
      await expectExactRollups(ch, expected, unique);
      checks.push(...(await committedAndFolded(kafka, env, ch, 'fold-trickle')));
      // The invariant: a partition's committed offset is never beyond its folded end.
      for (const c of checks.filter((c) => c.committed >= 0n)) expect(c.committed).toBeLessThanOrEqual(c.folded);
      // Everything ends committed (the idle tail was folded, then committed: the commit comes after
      // the fold's watermark, so it is waited for).
      await expectAllCommitted(kafka, env, ch, 'fold-trickle');
      // At most one fold per interval and partition, plus the first; far fewer than the batches.
      const folds = await foldsRecorded(ch);
      expect(folds).toBeLessThanOrEqual(3 * (Math.ceil(sendingMs / intervalMs) + 2));
      expect(sink.worker.stats.batches).toBeGreaterThan(2 * folds);
      expect(sink.worker.stats.foldSeeks).toBeGreaterThan(0);
    } finally {
      await producer.disconnect();
      await sink.stop();
    }
  });

  /**
   * A client that counts the sink's INSERTs of events (`insertUnstored`): at most one per stored batch
   * and month (batches of several partitions may share one, joined-inserts.ts).
   */
  function countingEventInserts(counter: { inserts: number }) {
    return (client: ClickHouseClient): ClickHouseClient =>
      interceptClickHouse(client, {
        write: (table, send) => {
          if (table === 'usage_events') counter.inserts += 1;
          return send();
        },
      });
  }

  it('gathered batches: a backlog stored in a few INSERTs, not one per fetch, and exact', async () => {
    const { env, ch, events, expected, unique, kafka } = await backlogScenario('sink_gather_backlog', 12_000, 44);
    const counter = { inserts: 0 };
    // 64 KiB fetches bring ~300 events of a partition; gathered to 2,000 before they are stored.
    const sink = await startWorker(env, ch, 'gather-backlog', countingEventInserts(counter), {
      foldIntervalMs: 2_000,
      maxBytesPerPartition: 65_536,
      maxWaitTimeInMs: 1_000,
      gather: { minMessages: 2_000, maxWaitMs: 5_000 },
    });
    try {
      await expectExactRollups(ch, expected, unique);
      const { batches, batchesHeld } = sink.worker.stats;
      // One month of events (makeEnrichedEvents): one INSERT a stored batch, and a stored batch holds
      // ≥ 2,000 messages but for each partition's last (and a seek's). Without gathering: one a fetch.
      expect(batchesHeld).toBeGreaterThan(2 * batches);
      expect(counter.inserts).toBeLessThanOrEqual(events.length / 2_000 + 2 * 3);
      expect(counter.inserts).toBeLessThan(batchesHeld);
      // Everything committed in the end: nothing is left held.
      await expectAllCommitted(kafka, env, ch, 'gather-backlog');
    } finally {
      await sink.stop();
    }
  });

  it("gathered batches in a trickle: an idle partition's held batches are sought back for, stored and committed", async () => {
    const { env, ch, events, expected, unique, kafka } = await scenario('sink_gather_trickle', 2_000, 45);
    const producer = await createProducer(kafka);
    const counter = { inserts: 0 };
    const sink = await startWorker(env, ch, 'gather-trickle', countingEventInserts(counter), {
      foldIntervalMs: 1_000,
      maxWaitTimeInMs: 1_000,
      gather: { minMessages: 100_000, maxWaitMs: 1_500 },
    });
    const checks: { partition: number; committed: bigint; folded: bigint }[] = [];
    try {
      // 100 events every 200 ms, then nothing: the last held batches get no next batch.
      for (let i = 0; i < events.length; i += 100) {
        await produceEnriched(producer, env.topics.enriched, events.slice(i, i + 100));
        if (i % 500 === 0) checks.push(...(await committedAndFolded(kafka, env, ch, 'gather-trickle')));
        await new Promise((r) => setTimeout(r, 200));
      }
      await expectExactRollups(ch, expected, unique);
      for (const c of checks.filter((c) => c.committed >= 0n)) expect(c.committed).toBeLessThanOrEqual(c.folded);
      await expectAllCommitted(kafka, env, ch, 'gather-trickle');
      expect(sink.worker.stats.gatherSeeks).toBeGreaterThan(0);
      expect(sink.worker.stats.batchesHeld).toBeGreaterThan(0);
      // Fewer INSERTs than batches fetched (each fetch of a partition brings ~30 events here).
      expect(counter.inserts).toBeLessThan(sink.worker.stats.batchesHeld);
    } finally {
      await producer.disconnect();
      await sink.stop();
    }
  });

  it('a worker stopped while holding batches: they are neither stored nor committed, and the next owner stores them once', async () => {
    const { env, ch, expected, unique, kafka } = await backlogScenario('sink_gather_handover', 12_000, 46);
    const base = { foldIntervalMs: 0, maxBytesPerPartition: 65_536, maxWaitTimeInMs: 1_000 };

    // Holds up to 3,000 events a partition (of ~4,000), for a minute: nothing stored at first.
    const first = await startWorker(env, ch, 'gather-handover', undefined, {
      ...base,
      gather: { minMessages: 3_000, maxWaitMs: 60_000 },
    });
    await waitFor(
      () => Promise.resolve(first.worker),
      (w) => w.stats.batches >= 1 && w.heldMessages >= 500,
      { what: 'a stored batch, and messages held', timeoutMs: 60_000 },
    );
    const heldAtStop = first.worker.heldMessages;
    await first.stop();
    const stopped = first.worker.stats;
    const stored = await storedCounts(ch);
    const after = await committedAndFolded(kafka, env, ch, 'gather-handover');
    expect(stored.offsets).toBeLessThan(unique);
    // Committed only what is stored and folded: never the held batches' offsets.
    const ends = await storedEnds(ch);
    for (const c of after.filter((c) => c.committed >= 0n)) {
      expect(c.committed).toBeLessThanOrEqual(c.folded);
      expect(c.committed).toBeLessThanOrEqual(ends.get(c.partition) ?? 0n);
    }
    expect(stopped.batchesHeld).toBeGreaterThan(0);
    // What was held at the stop is not stored (the worker never stores it without a batch).
    expect(heldAtStop).toBeGreaterThanOrEqual(500);
    expect(stored.offsets).toBeLessThanOrEqual(unique - heldAtStop);

    const next = await startWorker(env, ch, 'gather-handover', undefined, base);
    try {
      await expectExactRollups(ch, expected, unique);
    } finally {
      await next.stop();
    }
  });

  it('a worker stopped with batches stored but unfolded: uncommitted, so the next owner folds them', async () => {
    const { env, ch, expected, unique, kafka } = await backlogScenario('sink_fold_handover', 12_000, 42);
    const variant = { foldIntervalMs: 15_000, maxBytesPerPartition: 65_536, maxWaitTimeInMs: 1_000 };

    // The first owner stops a third of the way through the backlog, its last batches stored, unfolded.
    const first = await startWorker(env, ch, 'fold-handover', undefined, variant);
    await waitFor(
      () => storedCounts(ch),
      (c) => c.offsets >= unique / 3,
      { what: 'a third of the backlog stored', timeoutMs: 120_000 },
    );
    await first.stop();
    const after = await committedAndFolded(kafka, env, ch, 'fold-handover');
    for (const c of after.filter((c) => c.committed >= 0n)) expect(c.committed).toBeLessThanOrEqual(c.folded);
    const ends = await storedEnds(ch);
    // The case under test: stored beyond the folded end, so neither folded nor committed.
    expect(after.some((c) => (ends.get(c.partition) ?? 0n) > c.folded)).toBe(true);

    const next = await startWorker(env, ch, 'fold-handover', undefined, variant);
    try {
      await expectExactRollups(ch, expected, unique);
    } finally {
      await next.stop();
    }
  });
});
