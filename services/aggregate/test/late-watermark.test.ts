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

async function storeEvents(ch: ClickHouseClient, count: number): Promise<void> {
  const storedAt = toClickHouseDateTime(new Date());
  const events = makeEnrichedEvents(count, 41, 0);
  await insertRows(
    ch,
    'usage_events',
    events.map((e, i) => usageEventRow(e, { topic, partition: 0, offset: String(i) }, storedAt)),
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

test('a late watermark landing before another fold began supersedes it; folded again from there, nothing is lost or doubled', async () => {
  await onTestClickHouse('late-watermark-first', async (ch) => {
    await storeEvents(ch, 300);
    const previous = await recordFoldAttempt(ch, topic, 0, 0n, 150n);
    await foldRange(ch, topic, 0, 0n, 150n);
    // The new owner read the watermark (0); the late one lands before the new attempt is recorded.
    expect(await watermarkOf(ch, topic, 0)).toBe(0n);
    await moveWatermark(ch, previous);
    expect(await watermarkOf(ch, topic, 0)).toBe(150n);
    const current = await recordFoldAttempt(ch, topic, 0, 0n, 300n);
    await foldRange(ch, topic, 0, 0n, 300n); // adds nothing: the watermark is no longer 0
    await expect(moveWatermark(ch, current)).rejects.toThrow(/superseded: the watermark is 150/);
    // The sink retries the batch: the next derivation starts at 150.
    expect(await deriveRollups(ch, topic, 0, 300n)).toEqual({ from: '150', to: '300' });
    await expectEveryLevelExact(ch);
  });
});
