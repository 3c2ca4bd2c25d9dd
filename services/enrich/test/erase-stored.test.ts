/**
 * Erasure, the ClickHouse side (docs/ARCHITECTURE.md "Erasing a person"), on ClickHouse 18.16 and on a
 * current engine: two people's stored events (one of them partly stored unresolved and revised), some in
 * rollup ranges already derived and some not, and their assessment results are removed; a run stopped
 * after its deletion leaves the next run the ranges to fold; every district and school cell then equals a
 * reference computed without them, and the others' results stay.
 */
import { insertRows, queryRows, utcDateTime, type ClickHouseClient } from '@edusage/clickhouse';
import type { EnrichedEvent } from '@edusage/contracts';
import { deriveRollups, toClickHouseDateTime, usageEventRow } from '@edusage/aggregate';
import { assessmentRow, onCurrentClickHouse, onTestClickHouse } from '@edusage/testkit';
import {
  countStored,
  leftoverPeople,
  markFinished,
  recordRequest,
  removeStored,
  storedOf,
  type ErasedPerson,
} from '../src';
import {
  makeEnrichedEvents,
  referenceDistrictRollup,
  referenceSchoolRollup,
  rollupCells,
  type ReferenceCell,
} from '../../aggregate/test/enriched-fixtures';

jest.setTimeout(120_000);

const topic = 'usage.enriched';
const sortedEntries = (m: Map<string, ReferenceCell>) => [...m].sort(([a], [b]) => a.localeCompare(b));

async function scenario(ch: ClickHouseClient): Promise<void> {
  const truth = makeEnrichedEvents(900, 11, 0);
  const people = [...new Set(truth.map((e) => e.person_id))].sort();
  const [gone, alsoGone, staying] = people as [string, string, string];
  // `alsoGone`'s first events were stored unresolved (under another identifier's pseudonym, which the
  // erasure does not name) and later revised to them: the stored row goes with its revision.
  const unresolvedId = `email-${alsoGone}`;
  const revised = new Set(
    truth
      .filter((e) => e.person_id === alsoGone)
      .slice(0, 5)
      .map((e) => e.dedup_key),
  );
  expect(revised.size).toBe(5);
  const storedAt = toClickHouseDateTime(new Date());
  const rowOf = (e: EnrichedEvent, partition: number, offset: number) =>
    usageEventRow(e, { topic, partition, offset: String(offset) }, storedAt);

  // Two partitions, three batches each; the last batch is stored but not folded yet.
  const parts = [0, 1].map((p) => truth.map((e, i) => ({ e, i })).filter(({ i }) => i % 2 === p));
  const revisions: object[] = [];
  for (const [partition, list] of parts.entries()) {
    const third = Math.ceil(list.length / 3);
    for (let b = 0; b < 3; b++) {
      const chunk = list.slice(b * third, (b + 1) * third);
      const rows = chunk.map(({ e }, j) => {
        const offset = b * third + j;
        if (!revised.has(e.dedup_key)) return rowOf(e, partition, offset);
        revisions.push({ ...rowOf(e, partition, offset), revision: 1, roster_version: '1-a', revised_at: storedAt });
        return rowOf({ ...e, person_id: unresolvedId, person_resolved: false, role: 'unknown' }, partition, offset);
      });
      await insertRows(ch, 'usage_events', rows);
      if (b < 2) await deriveRollups(ch, topic, partition, BigInt(b * third + chunk.length));
    }
  }
  await insertRows(ch, 'usage_event_revisions', revisions);
  await insertRows(ch, 'assessment_results', [
    assessmentRow(gone, '2026-09-10', 200),
    assessmentRow(alsoGone, '2026-09-10', 210),
    assessmentRow(staying, '2026-09-10', 220),
    assessmentRow(gone, '2026-09-10', 200, { district_id: 'd2' }), // another district's namesake stays
  ]);

  const named = (id: string, ids: string[]): ErasedPerson => ({
    named: id,
    sourcedId: id,
    personIds: ids,
    shared: 0,
    events: 0,
    results: 0,
  });
  const erased = [named(gone, [gone]), named(alsoGone, [alsoGone])];
  const expectedEvents = truth.filter((e) => e.person_id === gone || e.person_id === alsoGone).length;
  const counted = await Promise.all(erased.map((p) => storedOf(ch, 'd1', p)));
  expect(counted.reduce((n, p) => n + p.events, 0)).toBe(expectedEvents);
  expect(counted.map((p) => p.results)).toEqual([1, 1]);
  // countStored (a few queries for many people) gives each person what storedOf gives them alone, in
  // groups of any size (here down to one person a query): the unresolved identifier's rows and the
  // revisions of the same offsets counted for each person they name, nobody's for a pseudonym with none.
  const everyone = [
    ...erased,
    named(staying, [staying, 'nobody']),
    named('unresolved', [unresolvedId]),
    named('x', ['x']),
  ];
  const alone = await Promise.all(everyone.map((p) => storedOf(ch, 'd1', p)));
  expect(alone.map((p) => p.events).filter((n) => n > 0)).toHaveLength(4);
  for (const perQuery of [1, 2, 3, 500])
    expect(await countStored(ch, 'd1', everyone, undefined, perQuery)).toEqual(alone);

  // A run stopped right after its deletion: the rows are gone, the derived ranges still count them.
  const first = { districtId: 'd1', requestId: 'r1', requestedAt: utcDateTime(new Date()), finished: 0 as const };
  await recordRequest(ch, first, erased);
  await expect(
    removeStored({
      ch,
      districtId: 'd1',
      requestId: 'r1',
      onStep: async (step) => {
        if (step === 'deleted') throw new Error('stopped');
      },
    }),
  ).rejects.toThrow('stopped');
  const without = truth.filter((e) => e.person_id !== gone && e.person_id !== alsoGone);
  expect(sortedEntries(await rollupCells(ch, 'district'))).not.toEqual(sortedEntries(referenceDistrictRollup(without)));

  // The next run (another request, nobody new) folds the first one's ranges; the sink folds the rest.
  await recordRequest(ch, { ...first, requestId: 'r2' }, [named('other', ['nobody'])]);
  const second = await removeStored({ ch, districtId: 'd1', requestId: 'r2' });
  expect(second.requests.sort()).toEqual(['r1', 'r2']);
  expect(second.refoldedRanges).toBeGreaterThan(0);
  await markFinished(ch, 'd1', second.requests, 'r2');
  for (const [partition, list] of parts.entries()) await deriveRollups(ch, topic, partition, BigInt(list.length));

  expect(sortedEntries(await rollupCells(ch, 'district'))).toEqual(sortedEntries(referenceDistrictRollup(without)));
  expect(sortedEntries(await rollupCells(ch, 'school'))).toEqual(sortedEntries(referenceSchoolRollup(without)));
  const left = await queryRows<{ person_id: string; district_id: string }>(
    ch,
    `SELECT person_id, district_id FROM assessment_results ORDER BY district_id, person_id`,
  );
  expect(left).toEqual([
    { person_id: staying, district_id: 'd1' },
    { person_id: gone, district_id: 'd2' },
  ]);
  expect((await Promise.all(erased.map((p) => storedOf(ch, 'd1', p)))).map((p) => [p.events, p.results])).toEqual([
    [0, 0],
    [0, 0],
  ]);
  // Finished: a third run has nothing left to fold.
  expect(await removeStored({ ch, districtId: 'd1', requestId: 'r3' })).toEqual({ refoldedRanges: 0, requests: [] });
}

/**
 * A run folds again what it recorded itself even when its request was finished meanwhile by another run
 * (a sweep that covered it while the command waited), which did not see this run's recording.
 */
async function ownRecording(ch: ClickHouseClient): Promise<void> {
  const truth = makeEnrichedEvents(300, 7, 0);
  const gone = [...new Set(truth.map((e) => e.person_id))].sort()[0]!;
  const storedAt = toClickHouseDateTime(new Date());
  await insertRows(
    ch,
    'usage_events',
    truth.map((e, i) => usageEventRow(e, { topic, partition: 0, offset: String(i) }, storedAt)),
  );
  await deriveRollups(ch, topic, 0, BigInt(truth.length));
  const request = { districtId: 'd1', requestId: 'own', requestedAt: utcDateTime(new Date()), finished: 0 as const };
  await recordRequest(ch, request, [
    { named: gone, sourcedId: gone, personIds: [gone], shared: 0, events: 0, results: 0 },
  ]);
  await markFinished(ch, 'd1', ['own'], 'another');
  const removed = await removeStored({ ch, districtId: 'd1', requestId: 'own' });
  expect(removed.refoldedRanges).toBeGreaterThan(0);
  const without = truth.filter((e) => e.person_id !== gone);
  expect(sortedEntries(await rollupCells(ch, 'district'))).toEqual(sortedEntries(referenceDistrictRollup(without)));
}

/** Rows stored again for people of finished requests are found; those of unfinished ones and of others are not. */
async function leftovers(ch: ClickHouseClient): Promise<void> {
  const at = utcDateTime(new Date());
  const ask = (requestId: string, ids: string[], finished: 0 | 1) =>
    recordRequest(ch, { districtId: 'd1', requestId, requestedAt: at, finished }, [
      { named: '', sourcedId: null, personIds: ids, shared: 0, events: 0, results: 0 },
    ]);
  await ask('done', ['p-done', 'p-done-email'], 0);
  await ask('done', ['p-done', 'p-done-email'], 1);
  await ask('open', ['p-open'], 0);
  expect(await leftoverPeople(ch)).toEqual(new Map());
  await insertRows(ch, 'assessment_results', [
    assessmentRow('p-done-email', '2026-09-10', 200), // stored again after the request finished
    assessmentRow('p-open', '2026-09-10', 200), // its request is not finished: the normal path's
    assessmentRow('p-other', '2026-09-10', 200),
    assessmentRow('p-done', '2026-09-10', 200, { district_id: 'd2' }), // another district's namesake
  ]);
  const [event] = makeEnrichedEvents(1, 3, 0);
  const storedAt = toClickHouseDateTime(new Date());
  await insertRows(ch, 'usage_event_revisions', [
    {
      ...usageEventRow({ ...event!, person_id: 'p-done' }, { topic, partition: 0, offset: '7' }, storedAt),
      revision: 1,
      roster_version: '1-a',
      revised_at: storedAt,
    },
  ]);
  const found = await leftoverPeople(ch);
  expect([...found.keys()]).toEqual(['d1']);
  expect(found.get('d1')!.map((p) => p.personIds)).toEqual([['p-done', 'p-done-email']]);
}

describe('erasing stored data', () => {
  it('finds people of finished requests whose rows were stored again (ClickHouse 18.16 and current)', async () => {
    await onTestClickHouse('erase_leftovers', leftovers);
    await onCurrentClickHouse('edusage_erase_leftovers', leftovers);
  });

  it('folds again what a run recorded, even when its request was finished meanwhile by another run', async () => {
    await onTestClickHouse('erase_own_recording', ownRecording);
  });

  it('removes the people and their rollup contributions on ClickHouse 18.16', async () => {
    await onTestClickHouse('erase_stored', scenario);
  });

  it('removes the people and their rollup contributions on current ClickHouse', async () => {
    await onCurrentClickHouse('edusage_erase_stored', scenario);
  });
});
