import { createClickHouse, insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { deriveRollups, deriveRollupsOf, foldRange, foldRanges } from '../src/rollup-deriver';
import { toClickHouseDateTime, usageEventRow } from '../src/rows';
import { makeEnrichedEvents, referenceDistrictRollup, type ReferenceCell } from './enriched-fixtures';

// Rollups are derived from usage_events per partition and offset range; a derivation interrupted at any
// point (our crash, or ClickHouse's) and repeated must count every event exactly once.
describe('rollup derivation against real ClickHouse', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  const topic = 'usage.enriched';

  beforeAll(async () => {
    env = await createTestEnv('rollups');
    ch = createClickHouse(env.config);
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
  });

  async function store(events: ReturnType<typeof makeEnrichedEvents>, firstOffset: number): Promise<void> {
    const storedAt = toClickHouseDateTime(new Date());
    await insertRows(
      ch,
      'usage_events',
      events.map((e, i) => usageEventRow(e, { topic, partition: 0, offset: String(firstOffset + i) }, storedAt)),
    );
  }

  async function districtRollup(): Promise<[string, ReferenceCell][]> {
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

  it('counts each event once when a derivation is cut off before its watermark and then repeated', async () => {
    // Unique events only (the sink removes duplicates before storing).
    const events = makeEnrichedEvents(400, 21, 0);
    await store(events.slice(0, 250), 0);
    // A derivation that wrote the rollup rows of [0, 250) and died before recording its watermark…
    await foldRange(ch, topic, 0, 0n, 250n);
    // …more events arrive, and the next derivation starts from the same watermark.
    await store(events.slice(250), 250);
    expect(await deriveRollups(ch, topic, 0, 400n)).toEqual({ partition: 0, from: '0', to: '400' });
    const expected = [...referenceDistrictRollup(events)].sort(([a], [b]) => a.localeCompare(b));
    expect(await districtRollup()).toEqual(expected);

    // Nothing new: no derivation, same numbers. New events: only they are added.
    expect(await deriveRollups(ch, topic, 0, 400n)).toBeNull();
    const more = makeEnrichedEvents(100, 22, 0);
    await store(more, 400);
    expect(await deriveRollups(ch, topic, 0, 500n)).toEqual({ partition: 0, from: '400', to: '500' });
    const all = [...referenceDistrictRollup([...events, ...more])].sort(([a], [b]) => a.localeCompare(b));
    expect(await districtRollup()).toEqual(all);

    // The same range folded again (a repeat after a lost watermark write) changes nothing.
    await foldRange(ch, topic, 0, 400n, 500n);
    expect(await districtRollup()).toEqual(all);
  });

  it('never moves the watermark past offsets that are not stored yet (a batch partly stored by a previous owner)', async () => {
    const part = 1;
    const events = makeEnrichedEvents(30, 23, 0);
    const storeAt = async (offsets: number[]) => {
      const storedAt = toClickHouseDateTime(new Date());
      await insertRows(
        ch,
        'usage_events',
        offsets.map((o) => usageEventRow(events[o]!, { topic: 'other', partition: part, offset: String(o) }, storedAt)),
      );
    };
    const rollupOf = async () =>
      queryRows<{ n: string }>(
        ch,
        `SELECT toString(sumMerge(events)) AS n FROM rollup_district_app_daily_parts FINAL
         WHERE kafka_topic = 'other' AND kafka_partition = ${part}`,
      );
    // A previous owner fetched [0..29] and stored only one month's INSERT (here: offset 29), then died.
    await storeAt([29]);
    // The new owner fetches a shorter batch [0..9], stores it and derives up to its batch end (10).
    await storeAt([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await deriveRollups(ch, 'other', part, 10n);
    // Then [10..29]: 10..28 are stored now, 29 already was.
    await storeAt(Array.from({ length: 19 }, (_, i) => 10 + i));
    await deriveRollups(ch, 'other', part, 30n);
    expect(await rollupOf()).toEqual([{ n: '30' }]);
  });

  it('ignores a derivation from an older watermark that lands late (sent by a worker that lost the partition)', async () => {
    const part = 3;
    const events = makeEnrichedEvents(20, 25, 0);
    const storedAt = toClickHouseDateTime(new Date());
    await insertRows(
      ch,
      'usage_events',
      events.map((e, i) => usageEventRow(e, { topic: 'late', partition: part, offset: String(i) }, storedAt)),
    );
    await deriveRollups(ch, 'late', part, 10n);
    await deriveRollups(ch, 'late', part, 20n);
    // The old owner's fold of [0, 20), read the watermark 0 and sent before it lost the partition, arrives now.
    await foldRange(ch, 'late', part, 0n, 20n);
    const [got] = await queryRows<{ n: string }>(
      ch,
      `SELECT toString(sumMerge(events)) AS n FROM rollup_district_app_daily_parts FINAL
       WHERE kafka_topic = 'late' AND kafka_partition = ${part}`,
    );
    expect(got).toEqual({ n: '20' });
  });

  it('counts an offset once even when usage_events holds it twice (a zombie writer stored it again)', async () => {
    const part = 2;
    const events = makeEnrichedEvents(20, 24, 0);
    const storedAt = toClickHouseDateTime(new Date());
    const rows = events.map((e, i) =>
      usageEventRow(e, { topic: 'zombie', partition: part, offset: String(i) }, storedAt),
    );
    await insertRows(ch, 'usage_events', rows);
    await insertRows(ch, 'usage_events', rows.slice(5, 15));
    await deriveRollups(ch, 'zombie', part, 20n);
    const [got] = await queryRows<{ n: string; users: string }>(
      ch,
      `SELECT toString(sumMerge(events)) AS n, toString(uniqExactMerge(active_users)) AS users
       FROM rollup_district_app_daily_parts FINAL WHERE kafka_topic = 'zombie' AND kafka_partition = ${part}`,
    );
    expect(got).toEqual({ n: '20', users: String(new Set(events.map((e) => e.person_id)).size) });
  });
  it('folds several partitions in one set of statements exactly as one partition at a time', async () => {
    const topic = 'many';
    const sizes = new Map([
      [10, 30],
      [11, 25],
      [12, 20],
    ]);
    const events = new Map([...sizes].map(([p, n]) => [p, makeEnrichedEvents(n, 30 + p, 0)]));
    const storedAt = toClickHouseDateTime(new Date());
    for (const [partition, list] of events)
      await insertRows(
        ch,
        'usage_events',
        list.map((e, i) => usageEventRow(e, { topic, partition, offset: String(i) }, storedAt)),
      );
    // Partition 11 folded its first batch alone; then three batch ends arrive together, 10's twice.
    await deriveRollups(ch, topic, 11, 10n);
    const done = await deriveRollupsOf(ch, topic, [
      { partition: 10, upTo: 20n },
      { partition: 11, upTo: 25n },
      { partition: 12, upTo: 15n },
      { partition: 10, upTo: 30n },
    ]);
    expect(done).toEqual([
      { partition: 10, from: '0', to: '30' },
      { partition: 11, from: '10', to: '25' },
      { partition: 12, from: '0', to: '15' },
    ]);
    // A fold of partitions 11 and 12 sent from old watermarks: 11's has moved (nothing added: its rows
    // would count 10..24 twice), 12's has not (its rows are written, the watermark stays); the next
    // derivation of 12 replaces them.
    await foldRanges(ch, topic, [
      { partition: 11, from: 0n, to: 25n },
      { partition: 12, from: 15n, to: 18n },
    ]);
    expect(await deriveRollupsOf(ch, topic, [{ partition: 12, upTo: 20n }])).toEqual([
      { partition: 12, from: '15', to: '20' },
    ]);

    const cells = await queryRows<{
      p: number;
      k: string;
      events: string;
      users: string;
      seconds: string;
      minutes: string;
    }>(
      ch,
      `SELECT kafka_partition AS p, concat(district_id, '|', toString(local_date), '|', app_id, '|', role) AS k,
              toString(sumMerge(events)) AS events, toString(uniqExactMerge(active_users)) AS users,
              toString(sumMerge(explicit_seconds)) AS seconds, toString(uniqExactIfMerge(active_minutes)) AS minutes
       FROM rollup_district_app_daily_parts FINAL WHERE kafka_topic = 'many'
       GROUP BY kafka_partition, district_id, local_date, app_id, role`,
    );
    for (const [partition, list] of events) {
      const got = cells
        .filter((c) => Number(c.p) === partition)
        .map((c): [string, ReferenceCell] => [
          c.k,
          {
            events: Number(c.events),
            users: Number(c.users),
            explicitSeconds: Number(c.seconds),
            activeMinutes: Number(c.minutes),
          },
        ])
        .sort(([a], [b]) => a.localeCompare(b));
      expect(got).toEqual([...referenceDistrictRollup(list)].sort(([a], [b]) => a.localeCompare(b)));
    }
    // Each partition's rows carry its own range: partition 11's second range starts at its own watermark.
    const ranges = await queryRows<{ p: number; s: string; e: string }>(
      ch,
      `SELECT DISTINCT kafka_partition AS p, toString(range_start) AS s, toString(range_end) AS e
       FROM rollup_school_app_daily_parts FINAL WHERE kafka_topic = 'many' ORDER BY p, s`,
    );
    expect(ranges.map((r) => `${r.p}:${r.s}-${r.e}`)).toEqual([
      '10:0-30',
      '11:0-10',
      '11:10-25',
      '12:0-15',
      '12:15-20',
    ]);
  });
});
