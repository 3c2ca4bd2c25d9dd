/**
 * A watermark INSERT that lands late (sent by a worker that lost the partition, or by an earlier attempt,
 * whose response never came) must not move the watermark under another derivation of the partition:
 * that derivation's remaining levels would then add nothing (their INSERTs check the watermark is still
 * where they started) while its own watermark moved past them, and those levels would lose the range.
 * Each step of deriveRollups is run by hand here, to land the late write between two of them.
 */
import { insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { ALL_LEVELS, ROLLUP_LEVELS } from '@edusage/rollups';
import { onCurrentClickHouse, onTestClickHouse } from '@edusage/testkit';
import {
  deriveRollups,
  foldLevel,
  foldRange,
  FoldSuperseded,
  moveWatermark,
  recordFoldAttempt,
  watermarkOf,
} from '../src/rollup-deriver';
import { toClickHouseDateTime, usageEventRow } from '../src/rows';
import { makeEnrichedEvents } from './enriched-fixtures';

const topic = 'usage.enriched';

/** Stores offsets [from, to) of partition 0 (the same events whatever the split). */
async function storeEvents(ch: ClickHouseClient, to: number, from = 0): Promise<void> {
  const storedAt = toClickHouseDateTime(new Date());
  const events = makeEnrichedEvents(to, 41, 0);
  await insertRows(
    ch,
    'usage_events',
    events.slice(from).map((e, i) => usageEventRow(e, { topic, partition: 0, offset: String(from + i) }, storedAt)),
  );
}

/** Per level, each cell's events and people from the rollup, beside the same counted from the stored events. */
async function rollupsAndEvents(ch: ClickHouseClient) {
  const out: Record<string, { rollup: string[]; events: string[] }> = {};
  for (const level of ALL_LEVELS) {
    const { parts, keys, eventFilter } = ROLLUP_LEVELS[level];
    const cell = `concat(${keys
      .split(', ')
      .map((k) => `toString(${k})`)
      .join(", '|', ")})`;
    const rows = (sql: string) =>
      queryRows<{ c: string }>(ch, sql).then((r) => r.map((x) => x.c).sort((a, b) => a.localeCompare(b)));
    out[level] = {
      rollup: await rows(
        `SELECT concat(${cell}, ' ', toString(sumMerge(events)), ' ', toString(uniqExactMerge(active_users))) AS c
         FROM (SELECT * FROM ${parts} FINAL) GROUP BY ${keys}`,
      ),
      events: await rows(
        `SELECT concat(${cell}, ' ', toString(count()), ' ', toString(uniqExact(person_id))) AS c
         FROM usage_events WHERE ${eventFilter} GROUP BY ${keys}`,
      ),
    };
  }
  return out;
}

async function expectEveryLevelExact(ch: ClickHouseClient): Promise<void> {
  const levels = await rollupsAndEvents(ch);
  for (const level of ALL_LEVELS) {
    expect(levels[level]!.rollup.length).toBeGreaterThan(0);
    expect([level, levels[level]!.rollup]).toEqual([level, levels[level]!.events]);
  }
}

/** A previous owner's late watermark lands after the new owner's first level: refused, nothing lost. */
async function lateDuringTheFold(ch: ClickHouseClient): Promise<void> {
  await storeEvents(ch, 300);
  // The previous owner folded [0, 150) at every level; its watermark INSERT is still on its way.
  const previous = await recordFoldAttempt(ch, topic, 0, 0n, 150n);
  await foldRange(ch, topic, 0, 0n, 150n);
  // The new owner, having stored up to 300, folds from the watermark it reads: 0.
  expect(await watermarkOf(ch, topic, 0)).toBe(0n);
  const current = await recordFoldAttempt(ch, topic, 0, 0n, 300n);
  await foldLevel(ch, 'district', topic, 0, 0n, 300n);
  // The late watermark lands now: refused (a newer attempt began), the watermark stays.
  await expect(moveWatermark(ch, previous)).rejects.toThrow(FoldSuperseded);
  expect(await watermarkOf(ch, topic, 0)).toBe(0n);
  await foldLevel(ch, 'school', topic, 0, 0n, 300n);
  await foldLevel(ch, 'class', topic, 0, 0n, 300n);
  await moveWatermark(ch, current);
  expect(await watermarkOf(ch, topic, 0)).toBe(300n);
  await expectEveryLevelExact(ch);
}

test('a late watermark landing during another fold of the partition is refused; every level stays exact (18.16)', async () => {
  await onTestClickHouse('late-watermark', lateDuringTheFold);
});

test('the same on current ClickHouse', async () => {
  await onCurrentClickHouse('edusage_late_watermark', lateDuringTheFold);
});

test('a late watermark landing before another fold of the same range began: that fold adds nothing and the range counts once', async () => {
  await onTestClickHouse('late-watermark-first', async (ch) => {
    // The previous owner stored and folded [0, 150); its watermark is on its way. The new owner read
    // the same batch again (found stored) and the watermark (0); then the late watermark lands.
    await storeEvents(ch, 150);
    const previous = await recordFoldAttempt(ch, topic, 0, 0n, 150n);
    await foldRange(ch, topic, 0, 0n, 150n);
    expect(await watermarkOf(ch, topic, 0)).toBe(0n);
    await moveWatermark(ch, previous);
    expect(await watermarkOf(ch, topic, 0)).toBe(150n);
    const current = await recordFoldAttempt(ch, topic, 0, 0n, 150n);
    await foldRange(ch, topic, 0, 0n, 150n); // adds nothing: the watermark is no longer 0
    // Its watermark is refused (no longer 0), but the one read back is its end: the range is folded.
    await moveWatermark(ch, current);
    expect(await watermarkOf(ch, topic, 0)).toBe(150n);
    // The next batch folds from 150.
    await storeEvents(ch, 300, 150);
    expect(await deriveRollups(ch, topic, 0, 300n)).toEqual({ from: '150', to: '300' });
    await expectEveryLevelExact(ch);
  });
});

test("a previous owner's attempt recorded late, after a longer fold from the same start: its watermark is refused too", async () => {
  await onTestClickHouse('late-watermark-attempt', async (ch) => {
    // The previous owner stored [0, 150) and was to fold it; its attempt is still on its way.
    await storeEvents(ch, 150);
    // The new owner stores on to 300 and folds [0, 300); before its watermark, the late attempt lands.
    await storeEvents(ch, 300, 150);
    const current = await recordFoldAttempt(ch, topic, 0, 0n, 300n);
    await foldRange(ch, topic, 0, 0n, 300n);
    const previous = await recordFoldAttempt(ch, topic, 0, 0n, 150n);
    await foldRange(ch, topic, 0, 0n, 150n); // a lower version than the new owner's rows: hidden
    // The previous owner's attempt is now the last, but offsets at and beyond its end are stored.
    await expect(moveWatermark(ch, previous)).rejects.toThrow(FoldSuperseded);
    await expect(moveWatermark(ch, current)).rejects.toThrow(FoldSuperseded);
    expect(await watermarkOf(ch, topic, 0)).toBe(0n);
    // The new owner's retry folds [0, 300) again, as the last attempt.
    expect(await deriveRollups(ch, topic, 0, 300n)).toEqual({ from: '0', to: '300' });
    await expectEveryLevelExact(ch);
  });
});

test('the watermark read from a known one (rows at or above it) equals the whole read; above the table it reads all', async () => {
  await onTestClickHouse('watermark-bounded', async (ch) => {
    await storeEvents(ch, 300);
    for (const end of [100n, 200n, 300n]) await deriveRollups(ch, topic, 0, end);
    for (const known of [0n, 100n, 200n, 300n])
      expect([known, await watermarkOf(ch, topic, 0, known)]).toEqual([known, 300n]);
    // A known watermark the table no longer reaches (emptied since): the whole read.
    await ch.command({ query: `TRUNCATE TABLE rollup_watermarks` });
    await ch.command({
      query: `INSERT INTO rollup_watermarks VALUES ('${topic}', 0, 100, now())`,
    });
    expect(await watermarkOf(ch, topic, 0, 300n)).toBe(100n);
    // A derivation given a known watermark folds from the real one.
    await expect(deriveRollups(ch, topic, 0, 300n, { knownWatermark: 200n })).resolves.toEqual({
      from: '100',
      to: '300',
    });
  });
});
