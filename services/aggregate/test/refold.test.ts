/**
 * Late roster, the ClickHouse side (docs/ARCHITECTURE.md "Late roster"), on ClickHouse 18.16 and on a
 * current engine: events stored with an unresolved person get revisions (the person resolved); the
 * derived ranges holding them are folded again and the sink folds the rest, and every district and
 * school cell equals a reference computed from the corrected events, including cells that lost all
 * their events (empty states). A second re-fold changes nothing.
 */
import { insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { EnrichedEvent } from '@edusage/contracts';
import { onCurrentClickHouse, onTestClickHouse } from '@edusage/testkit';
import { deriveRollups, derivedRanges, refoldRange } from '../src/rollup-deriver';
import { toClickHouseDateTime, usageEventRow } from '../src/rows';
import {
  makeEnrichedEvents,
  referenceDistrictRollup,
  referenceSchoolRollup,
  rollupCells,
  type ReferenceCell,
} from './enriched-fixtures';

jest.setTimeout(120_000);

const topic = 'usage.enriched';

/** As enrich stores a sender missing from the roster: pseudonym of the identifier, nothing attributed. */
function unresolvedVersion(e: EnrichedEvent): EnrichedEvent {
  return {
    ...e,
    person_id: `raw-${e.person_id}`,
    person_resolved: false,
    role: 'unknown',
    class_id: null,
    class_attribution: 'none',
    school_id: null,
  };
}

const sortedEntries = (m: Map<string, ReferenceCell>) => [...m].sort(([a], [b]) => a.localeCompare(b));

async function scenario(ch: ClickHouseClient): Promise<void> {
  const truth = makeEnrichedEvents(900, 5, 0);
  const late = new Set(
    truth.filter((e) => Number.parseInt(e.person_id.slice(0, 2), 16) % 4 === 0).map((e) => e.dedup_key),
  );
  expect(late.size).toBeGreaterThan(100);
  const stored = truth.map((e) => (late.has(e.dedup_key) ? unresolvedVersion(e) : e));
  const storedAt = toClickHouseDateTime(new Date());
  const rowOf = (e: EnrichedEvent, partition: number, offset: number) =>
    usageEventRow(e, { topic, partition, offset: String(offset) }, storedAt);

  // Two partitions, three batches each; the last batch is stored but not folded yet when revised.
  const parts = [0, 1].map((p) => stored.map((e, i) => ({ e, i })).filter(({ i }) => i % 2 === p));
  for (const [partition, list] of parts.entries()) {
    const third = Math.ceil(list.length / 3);
    for (let b = 0; b < 3; b++) {
      const chunk = list.slice(b * third, (b + 1) * third);
      await insertRows(
        ch,
        'usage_events',
        chunk.map(({ e }, j) => rowOf(e, partition, b * third + j)),
      );
      if (b < 2) await deriveRollups(ch, topic, partition, BigInt(b * third + chunk.length));
    }
  }
  // Before: the late events count under role unknown, with another person and no school.
  const unknownBefore = [...(await rollupCells(ch, 'district')).entries()].filter(([k]) => k.endsWith('|unknown'));
  expect(unknownBefore.length).toBeGreaterThan(0);

  // The revisions: the true (resolved) version of every late event, at its stored coordinates.
  const revisions = parts.flatMap((list, partition) =>
    list
      .map(({ i }, offset) => ({ i, offset }))
      .filter(({ i }) => late.has(truth[i]!.dedup_key))
      .map(({ i, offset }) => ({
        ...rowOf(truth[i]!, partition, offset),
        revision: 1_700_000_000_000,
        roster_version: '1700000000000-abc',
        revised_at: storedAt,
      })),
  );
  await insertRows(ch, 'usage_event_revisions', revisions);

  const refoldAll = async () => {
    for (const partition of [0, 1]) {
      for (const r of await derivedRanges(ch, topic, partition)) await refoldRange(ch, topic, partition, r.from, r.to);
    }
  };
  await refoldAll();
  for (const [partition, list] of parts.entries()) await deriveRollups(ch, topic, partition, BigInt(list.length));

  const expectedDistrict = sortedEntries(referenceDistrictRollup(truth));
  const expectedSchool = sortedEntries(referenceSchoolRollup(truth));
  expect(sortedEntries(await rollupCells(ch, 'district'))).toEqual(expectedDistrict);
  expect(sortedEntries(await rollupCells(ch, 'school'))).toEqual(expectedSchool);
  await refoldAll(); // again: nothing changes
  expect(sortedEntries(await rollupCells(ch, 'district'))).toEqual(expectedDistrict);
  expect(sortedEntries(await rollupCells(ch, 'school'))).toEqual(expectedSchool);
}

/**
 * A derived range holding events of two months, the older dropped by retention, then one of its newer
 * events revised (`roster reresolve`; `people erase` re-folds the same way): the dropped month's cells
 * keep their rollups instead of being replaced by empty states (its events are gone, not moved).
 */
async function droppedMonthScenario(ch: ClickHouseClient): Promise<void> {
  const truth = makeEnrichedEvents(400, 7, 0);
  const october = truth.filter((e) => e.local_date === '2026-10-01');
  const late = new Set(october.filter((_, i) => i % 3 === 0).map((e) => e.dedup_key));
  expect(late.size).toBeGreaterThan(20);
  expect(truth.length - october.length).toBeGreaterThan(100);
  const storedAt = toClickHouseDateTime(new Date());
  const rowOf = (e: EnrichedEvent, offset: number) =>
    usageEventRow(e, { topic, partition: 0, offset: String(offset) }, storedAt);
  // One batch, so one derived range, spanning September and October.
  await insertRows(
    ch,
    'usage_events',
    truth.map((e, i) => rowOf(late.has(e.dedup_key) ? unresolvedVersion(e) : e, i)),
  );
  await deriveRollups(ch, topic, 0, BigInt(truth.length));

  // Retention drops September, as the job does: a record, the drop, its second record.
  await ch.command({ query: "INSERT INTO retention_drops VALUES ('usage_events', '202609', now(), 0)" });
  await ch.command({ query: "ALTER TABLE usage_events DROP PARTITION ID '202609'" });
  await ch.command({ query: "INSERT INTO retention_drops VALUES ('usage_events', '202609', now(), 1)" });

  await insertRows(
    ch,
    'usage_event_revisions',
    truth
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => late.has(e.dedup_key))
      .map(({ e, i }) => ({
        ...rowOf(e, i),
        revision: 1_700_000_000_000,
        roster_version: '1700000000000-abc',
        revised_at: storedAt,
      })),
  );
  for (const r of await derivedRanges(ch, topic, 0)) await refoldRange(ch, topic, 0, r.from, r.to);

  // September as folded before the drop, October corrected.
  expect(sortedEntries(await rollupCells(ch, 'district'))).toEqual(sortedEntries(referenceDistrictRollup(truth)));
  expect(sortedEntries(await rollupCells(ch, 'school'))).toEqual(sortedEntries(referenceSchoolRollup(truth)));
}

describe('re-folding revised events', () => {
  it('gives the corrected rollups on ClickHouse 18.16', async () => {
    await onTestClickHouse('refold', scenario);
  });

  it('gives the corrected rollups on current ClickHouse', async () => {
    await onCurrentClickHouse('edusage_refold', scenario);
  });

  it('keeps a month retention dropped when its range is folded again (18.16 and current ClickHouse)', async () => {
    await onTestClickHouse('refold_dropped', droppedMonthScenario);
    await onCurrentClickHouse('edusage_refold_dropped', droppedMonthScenario);
  });
});
