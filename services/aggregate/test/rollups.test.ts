import { createClickHouse, insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { deriveRollups, foldRange } from '../src/rollup-deriver';
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
    expect(await deriveRollups(ch, topic, 0, 400n)).toEqual({ from: '0', to: '400' });
    const expected = [...referenceDistrictRollup(events)].sort(([a], [b]) => a.localeCompare(b));
    expect(await districtRollup()).toEqual(expected);

    // Nothing new: no derivation, same numbers. New events: only they are added.
    expect(await deriveRollups(ch, topic, 0, 400n)).toBeNull();
    const more = makeEnrichedEvents(100, 22, 0);
    await store(more, 400);
    expect(await deriveRollups(ch, topic, 0, 500n)).toEqual({ from: '400', to: '500' });
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
    // More is stored above the watermark than it reaches: no fold until a batch reaches 30.
    expect(await deriveRollups(ch, 'other', part, 10n)).toEqual({ storedEnd: '30' });
    // Then [10..29]: 10..28 are stored now, 29 already was.
    await storeAt(Array.from({ length: 19 }, (_, i) => 10 + i));
    await deriveRollups(ch, 'other', part, 30n);
    expect(await rollupOf()).toEqual([{ n: '30' }]);
  });

  it('a derivation that died after its rows is replaced by the next one from its watermark, never overlapped by a shorter one', async () => {
    const part = 4;
    const events = makeEnrichedEvents(350, 26, 0);
    const storeRange = async (from: number, to: number) => {
      const storedAt = toClickHouseDateTime(new Date());
      await insertRows(
        ch,
        'usage_events',
        events
          .slice(from, to)
          .map((e, i) => usageEventRow(e, { topic: 'died', partition: part, offset: String(from + i) }, storedAt)),
      );
    };
    const folded = async () =>
      (
        await queryRows<{ n: string }>(
          ch,
          `SELECT toString(sumMerge(events)) AS n FROM rollup_district_app_daily_parts FINAL
           WHERE kafka_topic = 'died' AND kafka_partition = ${part}`,
        )
      )[0]?.n;
    // A worker stored [0, 300) in batches it put off, folded them all and died before its watermark.
    await storeRange(0, 300);
    await foldRange(ch, 'died', part, 0n, 300n);
    // The next owner reads them again from the committed offset (0) in shorter batches: a fold of
    // [0, 100) would be a lower version than the dead rows, which would stay and overlap [100, 300).
    expect(await deriveRollups(ch, 'died', part, 100n)).toEqual({ storedEnd: '300' });
    expect(await deriveRollups(ch, 'died', part, 300n)).toEqual({ from: '0', to: '300' });
    await storeRange(300, 350);
    expect(await deriveRollups(ch, 'died', part, 350n)).toEqual({ from: '300', to: '350' });
    expect(await folded()).toBe('350');
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
});
