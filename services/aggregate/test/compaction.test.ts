/**
 * Rollup compaction (docs/ARCHITECTURE.md "Rollup compaction"), on ClickHouse 18.16 and a current
 * engine: events folded in many small ranges, compacted between folds, a fold left unrecorded (a
 * crash before the watermark), an incremental second compaction, a re-fold after a compaction, a
 * generation left by a compaction that died, and a compaction recorded in the tables of an older
 * version (migration 0011's set is separate).
 * After every step, each cell of every level read through the compaction equals the same cell read
 * from the contributions alone, and at the end the district level equals a reference computed from
 * the events themselves.
 */
import { insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { EnrichedEvent } from '@edusage/contracts';
import {
  ALL_LEVELS,
  asOfCompactions,
  COMPACTIONS_TABLE,
  compactRollups,
  COUNTS_TABLE,
  countsFor,
  distinctPersonMinutes,
  MONTH_CELL,
  MONTHS_TABLE,
  monthsWithNewer,
  NO_COMPACTION,
  readCompactionState,
  ROLLUP_LEVELS,
  rollupRows,
  RUNS_TABLE,
  CHECKS_TABLE,
  STATE_COLUMNS,
  usageByCell,
  type CompactionState,
  type CountCell,
  type RollupLevel,
  type RollupReadOptions,
} from '@edusage/rollups';
import { addDays, mondayOf } from '@edusage/rollups';
import { onCurrentClickHouse, onTestClickHouse } from '@edusage/testkit';
import { deriveRollups, derivedRanges, foldRange, refoldRange } from '../src/rollup-deriver';
import { toClickHouseDateTime, usageEventRow } from '../src/rows';
import { makeEnrichedEvents, referenceDistrictRollup } from './enriched-fixtures';

jest.setTimeout(180_000);

// These runs come seconds apart; the drops they check are those of superseded generations past the grace.
const NO_GRACE = { supersededGraceSeconds: 0 };

const topic = 'usage.enriched';
const WINDOW = { districtId: 'd1', from: '2026-09-01', to: '2026-10-31' };

/**
 * Every cell of a level with its finalized measures, read through `state` (zero cells left out); the
 * same read with only the months monthsWithNewer names reading newer contributions must agree.
 */
async function cells(ch: ClickHouseClient, state: CompactionState, level: RollupLevel): Promise<string[]> {
  const all = await cellsRead(ch, state, level);
  const newerMonths = await monthsWithNewer(ch, state, WINDOW);
  expect(await cellsRead(ch, state, level, { newerMonths })).toEqual(all);
  return all;
}

async function cellsRead(
  ch: ClickHouseClient,
  state: CompactionState,
  level: RollupLevel,
  o: RollupReadOptions = {},
): Promise<string[]> {
  return cellsOf(ch, level, rollupRows(state, level, WINDOW, o));
}

/** A level's cells with their finalized measures, from `rows` (SQL of key and state columns). */
async function cellsOf(ch: ClickHouseClient, level: RollupLevel, rows: string): Promise<string[]> {
  const cells = await queryRows<{ k: string; m: string }>(
    ch,
    `SELECT concat(${ROLLUP_LEVELS[level].keys
      .split(', ')
      .map((c) => `toString(${c})`)
      .join(", '|', ")}) AS k,
            concat(toString(sumMerge(events)), ' ', toString(uniqExactMerge(active_users)), ' ',
                   toString(sumMerge(explicit_seconds)), ' ', toString(uniqExactIfMerge(active_minutes)), ' ',
                   toString(sumMerge(unresolved_person_events)), ' ', toString(sumMerge(unresolved_app_events))) AS m
     FROM (${rows}) AS r GROUP BY k HAVING sumMerge(events) > 0 ORDER BY k`,
  );
  return cells.map((r) => `${r.k} ${r.m}`);
}

/**
 * A level's cells from the contributions below each compacted month's marks, and all of a month
 * without compaction: what a read as of the compactions must give (written here without the
 * readers' code).
 */
async function cellsBelowMarks(ch: ClickHouseClient, state: CompactionState, level: RollupLevel): Promise<string[]> {
  const compacted = [...state.months.values()];
  const belowMarks = compacted.map((c) => {
    const ranges = c.marks.map(
      (m) => `(kafka_topic = '${m.topic}' AND kafka_partition = ${m.partition} AND range_start < ${m.offset})`,
    );
    return `(toYYYYMM(local_date) = ${c.month} AND (${ranges.join(' OR ') || '0'}))`;
  });
  const uncompacted =
    compacted.length === 0 ? '1' : `toYYYYMM(local_date) NOT IN (${compacted.map((c) => c.month).join(', ')})`;
  const spec = ROLLUP_LEVELS[level];
  return cellsOf(
    ch,
    level,
    `SELECT ${spec.keys}, ${STATE_COLUMNS.join(', ')} FROM ${spec.parts} FINAL
     WHERE district_id = '${WINDOW.districtId}' AND local_date BETWEEN '${WINDOW.from}' AND '${WINDOW.to}'
       AND (${[...belowMarks, `(${uncompacted})`].join(' OR ')})`,
  );
}

/**
 * Every stored count a reader may use (countsFor: days and weeks, the district and each school) equals
 * the states merged from the contributions alone, and a usable day or week with no row had no use.
 * Returns how many day and week counts were usable.
 */
async function expectCountsAsStates(ch: ClickHouseClient): Promise<{ days: number; weeks: number }> {
  const scoped = (level: 'district' | 'school', span: string) => `
    SELECT ${level === 'district' ? "''" : 'school_id'} AS scope, app_id, role, toString(${span}) AS day,
           toString(uniqExactMerge(active_users)) AS users, toString(uniqExactIfMerge(active_minutes)) AS minutes
    FROM (${rollupRows(NO_COMPACTION, level, WINDOW)}) AS r
    WHERE ${level === 'district' ? '1' : "school_id != ''"} GROUP BY scope, app_id, role, day`;
  const merged = async (span: string) =>
    queryRows<{ scope: string; app_id: string; role: string; day: string; users: string; minutes: string }>(
      ch,
      `${scoped('district', span)} UNION ALL ${scoped('school', span)}`,
    );
  const [days, weeks] = [await merged('local_date'), await merged('toMonday(local_date)')];
  const cellKey = (r: { scope: string; app_id: string; role: string }) => `${r.scope}|${r.app_id}|${r.role}`;
  const cellList = [
    ...new Map(days.map((r) => [cellKey(r), { scope: r.scope, app: r.app_id, role: r.role }])).values(),
  ];
  const counts = await countsFor(ch, await readCompactionState(ch), 'd1', {
    cells: cellList,
    days: WINDOW,
    weeks: WINDOW,
  });
  const used = { days: 0, weeks: 0 };
  const byKey = (rows: typeof days) => new Map(rows.map((r) => [`${cellKey(r)}|${r.day}`, r]));
  const dayRows = byKey(days);
  const weekRows = byKey(weeks);
  for (const cell of cellList) {
    const k = `${cell.scope}|${cell.app}|${cell.role}`;
    for (let d = WINDOW.from; d <= WINDOW.to; d = addDays(d, 1)) {
      if (!counts.usableDay(cell, d)) continue;
      used.days += 1;
      const r = dayRows.get(`${k}|${d}`);
      expect([k, d, counts.day(cell, d)]).toEqual([
        k,
        d,
        r === undefined ? undefined : { active_users: Number(r.users), active_minutes: Number(r.minutes) },
      ]);
    }
    for (let m = mondayOf(WINDOW.from); m <= WINDOW.to; m = addDays(m, 7)) {
      if (!counts.usableWeek(cell, m)) continue;
      used.weeks += 1;
      const r = weekRows.get(`${k}|${m}`);
      expect([k, m, counts.week(cell, m)?.active_users]).toEqual([k, m, r === undefined ? undefined : Number(r.users)]);
    }
  }
  return used;
}

/**
 * Windows of the usage reads: both months whole (run counts), one month (its month rows alone; for
 * September, older than the newest compacted month, read beside the plan and dropped when the plan
 * finds newer contributions), and pieces of months (month rows only where covered).
 */
const USAGE_WINDOWS = [
  WINDOW,
  { ...WINDOW, from: '2026-10-01', to: '2026-10-31' },
  { ...WINDOW, from: '2026-09-01', to: '2026-09-30' },
  { ...WINDOW, from: '2026-09-10', to: '2026-10-20' },
  { ...WINDOW, from: '2026-10-07', to: '2026-10-07' },
];

/**
 * Every level's usage per cell (usageByCell: month rows where usable, day cells elsewhere) equals the
 * same measures merged from the contributions alone, in each of USAGE_WINDOWS. Returns how many month
 * rows the reads used, and how many cells' people came from a run count.
 */
async function usageAsContributions(
  ch: ClickHouseClient,
): Promise<{ monthRows: number; runCounts: number; newerBesideMonthRows: number }> {
  const state = await readCompactionState(ch);
  let monthRows = 0;
  let runCounts = 0;
  let newerBesideMonthRows = 0;
  // Each read also narrowed as the API narrows it: one app (district), one school (school, class).
  const [first] = await queryRows<{ app_id: string; school_id: string }>(
    ch,
    `SELECT app_id, school_id FROM ${ROLLUP_LEVELS.class.parts} ORDER BY school_id, app_id LIMIT 1`,
  );
  const narrowed: Record<RollupLevel, string> = {
    district: `app_id = '${first!.app_id}'`,
    school: `school_id = '${first!.school_id}'`,
    class: `school_id = '${first!.school_id}'`,
  };
  let narrowedCells = 0;
  for (const level of ALL_LEVELS) {
    const cell = MONTH_CELL[level].join(', ');
    for (const w of USAGE_WINDOWS) {
      for (const where of [undefined, narrowed[level]]) {
        const reference = await queryRows<Record<string, string>>(
          ch,
          `SELECT ${cell}, toString(uniqExactMerge(active_users)) AS users, toString(sumMerge(events)) AS e,
                  toString(sumMerge(explicit_seconds)) AS seconds, toString(uniqExactIf(local_date, row_events > 0)) AS days
           FROM (SELECT *, finalizeAggregation(events) AS row_events FROM (${rollupRows(NO_COMPACTION, level, w, { where })}) AS r) AS x
           GROUP BY ${cell} HAVING sumMerge(events) > 0`,
        );
        const minutes = await distinctPersonMinutes(ch, NO_COMPACTION, level, w, MONTH_CELL[level], { where });
        const expected = reference
          .map((r) => {
            const values = MONTH_CELL[level].map((c) => r[c]!);
            const m = minutes.get(JSON.stringify(values)) ?? 0;
            return `${values.join('|')} ${r.users} ${r.e} ${r.seconds} ${m} ${r.days}`;
          })
          .sort();
        if (where !== undefined) narrowedCells += expected.length;
        const read = await usageByCell(ch, state, level, w, { where });
        // Also with every run state read (no newer cell named): the other way to the same figures.
        const allStates = await usageByCell(ch, state, level, w, { where, namedNewer: 0 });
        const figures = (c: (typeof read)[number]) =>
          `${c.cell.join('|')} ${c.active_users} ${c.events} ${c.explicit_seconds} ${c.active_minutes} ${c.active_days}`;
        expect(allStates.map(figures).sort()).toEqual(read.map(figures).sort());
        monthRows += read.reduce((n, c) => n + c.month_rows, 0);
        runCounts += read.filter((c) => c.run_count).length;
        newerBesideMonthRows += read.reduce((n, c) => n + c.newer_beside_month_rows, 0);
        const actual = read.map(figures).sort();
        expect([level, w.from, w.to, where, actual]).toEqual([level, w.from, w.to, where, expected]);
      }
    }
  }
  expect(narrowedCells).toBeGreaterThan(0);
  return { monthRows, runCounts, newerBesideMonthRows };
}
const expectUsageAsContributions = async (ch: ClickHouseClient) => (await usageAsContributions(ch)).monthRows;

/** Through the compaction = from the contributions alone, at every level; returns the district level. */
async function expectSameAsUncompacted(ch: ClickHouseClient): Promise<string[]> {
  await expectCountsAsStates(ch);
  await expectUsageAsContributions(ch);
  const state = await readCompactionState(ch);
  let district: string[] = [];
  for (const level of ALL_LEVELS) {
    const compacted = await cells(ch, state, level);
    expect(compacted).toEqual(await cells(ch, NO_COMPACTION, level));
    if (level === 'district') district = compacted;
  }
  return district;
}

function referenceLines(events: EnrichedEvent[]): string[] {
  return [...referenceDistrictRollup(events)]
    .map(([k, c]) => {
      const unresolvedPeople = events.filter(
        (e) => [e.district_id, e.local_date, e.app_id, e.role].join('|') === k && !e.person_resolved,
      ).length;
      return `${k} ${c.events} ${c.users} ${c.explicitSeconds} ${c.activeMinutes} ${unresolvedPeople} 0`;
    })
    .sort();
}

/** Empties every run row's state, as in rows written before migration 0010 (the next compactions write them). */
async function dropRunStates(ch: ClickHouseClient): Promise<void> {
  await ch.command({
    query: `ALTER TABLE ${RUNS_TABLE} UPDATE users_state = arrayReduce('uniqExactState', emptyArrayString()), has_state = 0 WHERE 1`,
  });
  for (;;) {
    const [row] = await queryRows<{ n: string }>(
      ch,
      `SELECT toString(count()) AS n FROM system.mutations WHERE database = currentDatabase() AND NOT is_done`,
    );
    if (Number(row!.n) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What a reader sees under `state` (every level's cells, every usage window's figures, and the usable
 * day and week counts of `countCells`): a read as of the compactions must see the same before and
 * after folds that land after them (asked for the same count cells: later folds may bring new ones).
 */
async function readerView(ch: ClickHouseClient, state: CompactionState, countCells: CountCell[]): Promise<unknown[]> {
  const view: unknown[] = [];
  for (const level of ALL_LEVELS) {
    view.push(await cellsRead(ch, state, level));
    for (const w of USAGE_WINDOWS) {
      const read = await usageByCell(ch, state, level, w);
      view.push(
        read
          .map(
            (c) =>
              `${c.cell.join('|')} ${c.active_users} ${c.events} ${c.explicit_seconds} ${c.active_minutes} ${c.active_days}`,
          )
          .sort(),
      );
    }
  }
  const counts = await countsFor(ch, state, 'd1', { cells: countCells, days: WINDOW, weeks: WINDOW });
  for (const cell of countCells) {
    for (let d = WINDOW.from; d <= WINDOW.to; d = addDays(d, 1))
      view.push([cell, d, counts.usableDay(cell, d) ? (counts.day(cell, d) ?? 'none') : 'merged']);
    for (let m = mondayOf(WINDOW.from); m <= WINDOW.to; m = addDays(m, 7))
      view.push([cell, m, counts.usableWeek(cell, m) ? (counts.week(cell, m) ?? 'none') : 'merged']);
  }
  return view;
}

/** The district's and each school's count cells (scope, app, role) in the contributions now, in order. */
async function countCellsNow(ch: ClickHouseClient): Promise<CountCell[]> {
  const cells = await queryRows<CountCell>(
    ch,
    `SELECT DISTINCT '' AS scope, app_id AS app, role FROM ${ROLLUP_LEVELS.district.parts}
     UNION ALL SELECT DISTINCT school_id AS scope, app_id AS app, role FROM ${ROLLUP_LEVELS.school.parts} WHERE school_id != ''`,
  );
  const key = (c: CountCell) => `${c.scope}|${c.app}|${c.role}`;
  return cells.sort((a, b) => key(a).localeCompare(key(b)));
}

async function compactGenerations(ch: ClickHouseClient, month: number): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    ch,
    `SELECT toString(uniqExact(generation)) AS n FROM ${ROLLUP_LEVELS.class.compact} WHERE toYYYYMM(local_date) = ${month}`,
  );
  return Number(row!.n);
}

async function scenario(ch: ClickHouseClient): Promise<void> {
  // Partition 0's October events at offsets 450-499 (stored after the second compaction) move to
  // October 2: cells with a month row then get newer contributions on a day the compaction had none.
  // Partition 1's events at offsets 500-549 all move to October 2: a fold of one month only.
  const toOctober2 = (e: EnrichedEvent): EnrichedEvent => {
    const days = e.local_date === '2026-09-30' ? 2 : e.local_date === '2026-10-01' ? 1 : 0;
    const occurred = new Date(Date.parse(e.occurred_at) + days * 86_400_000).toISOString();
    return { ...e, local_date: '2026-10-02', occurred_at: occurred };
  };
  const truth = makeEnrichedEvents(1200, 11, 0).map((e, i) => {
    const [partition, offset] = [i % 2, Math.floor(i / 2)];
    if (partition === 0 && offset >= 450 && offset < 500 && e.local_date === '2026-10-01') return toOctober2(e);
    if (partition === 1 && offset >= 500 && offset < 550) return toOctober2(e);
    return e;
  });
  const storedAt = toClickHouseDateTime(new Date());
  // Two partitions of 600 events, stored and folded in 12 batches of 50: many contributions per cell.
  const partitions = [0, 1].map((p) => truth.filter((_, i) => i % 2 === p));
  const store = async (partition: number, from: number, to: number) =>
    insertRows(
      ch,
      'usage_events',
      partitions[partition]!.slice(from, to).map((e, j) =>
        usageEventRow(e, { topic, partition, offset: String(from + j) }, storedAt),
      ),
    );
  const foldBatches = async (first: number, last: number) => {
    for (let b = first; b < last; b++) {
      for (const p of [0, 1]) {
        await store(p, b * 50, (b + 1) * 50);
        await deriveRollups(ch, topic, p, BigInt((b + 1) * 50));
      }
    }
  };

  await foldBatches(0, 5);
  const first = await compactRollups(ch, NO_GRACE);
  expect(first.map((r) => r.month)).toEqual([202609, 202610]);
  for (const r of first) {
    expect(r.generation).not.toBeNull();
    expect(r.incremental).toBe(false);
    // Fewer cells than contributions: that is the point.
    expect(r.cells.class).toBeLessThan(r.contributions.class);
  }
  expect((await readCompactionState(ch)).months.size).toBe(2);
  await expectSameAsUncompacted(ch);
  // Nothing newer than the compactions yet: reading as of them is reading them live (which equals
  // the contributions, checked above).
  const atFirst = await readCompactionState(ch);
  const cellsAtFirst = await countCellsNow(ch);
  const viewAtFirst = await readerView(ch, atFirst, cellsAtFirst);
  expect(await readerView(ch, asOfCompactions(atFirst), cellsAtFirst)).toEqual(viewAtFirst);
  // The counts are used (else the check above compares nothing), the week from September into
  // October included (2026-09-28: made from both months' generations).
  const usedFirst = await expectCountsAsStates(ch);
  expect(usedFirst.days).toBeGreaterThan(0);
  expect(usedFirst.weeks).toBeGreaterThan(0);
  const crossing = await countsFor(ch, await readCompactionState(ch), 'd1', {
    cells: [{ scope: '', app: truth[0]!.app_id, role: truth[0]!.role }],
    days: WINDOW,
    weeks: WINDOW,
  });
  expect(crossing.usableWeek({ scope: '', app: truth[0]!.app_id, role: truth[0]!.role }, '2026-09-28')).toBe(true);
  // The month rows and the run counts are used too (else the usage check compares the day cells with
  // themselves).
  const usage = await usageAsContributions(ch);
  expect(usage.monthRows).toBeGreaterThan(0);
  expect(usage.runCounts).toBeGreaterThan(0);

  // More folds, and one fold whose watermark was never written (a crash): its rows are above the
  // mark, so the compaction leaves them to the contributions.
  await foldBatches(5, 9);
  await store(0, 450, 500);
  await foldRange(ch, topic, 0, 450n, 480n);
  const second = await compactRollups(ch, NO_GRACE);
  for (const r of second) expect(r.incremental).toBe(true);
  await expectSameAsUncompacted(ch);
  // The first compactions are still kept (the two newest are): read as of them, with all those
  // folds above their marks, every figure is what they held.
  expect(await readerView(ch, asOfCompactions(atFirst), cellsAtFirst)).toEqual(viewAtFirst);
  // A read as of the compactions leaves out what was folded above their marks (the unrecorded fold).
  const atSecond = await readCompactionState(ch);
  const cellsAtSecond = await countCellsNow(ch);
  const asOfSecond = await readerView(ch, asOfCompactions(atSecond), cellsAtSecond);
  expect(asOfSecond).not.toEqual(await readerView(ch, atSecond, cellsAtSecond));
  for (const level of ALL_LEVELS)
    expect(await cellsRead(ch, asOfCompactions(atSecond), level)).toEqual(await cellsBelowMarks(ch, atSecond, level));
  // The sink's next fold replaces the unrecorded one (same start, larger end).
  await deriveRollups(ch, topic, 0, 500n);
  await store(1, 450, 500);
  await deriveRollups(ch, topic, 1, 500n);
  await expectSameAsUncompacted(ch);
  // Those folds are newer than the compactions: a read as of them sees exactly what it saw before.
  expect((await readCompactionState(ch)).months).toEqual(atSecond.months);
  expect(await readerView(ch, asOfCompactions(await readCompactionState(ch)), cellsAtSecond)).toEqual(asOfSecond);
  // Those folds came after the compaction: the days they touch are not counted until the next one;
  // their cells are read from their month rows plus the newer contributions (and from their days
  // where they have no month row yet).
  const usedBefore = await expectCountsAsStates(ch);
  const waiting = await usageAsContributions(ch);
  expect(waiting.newerBesideMonthRows).toBeGreaterThan(0);
  expect(waiting.runCounts).toBeGreaterThan(0);
  // Run rows written before migration 0010 have no state: their newer cells' people are merged from
  // the month rows instead (an empty state taken for a set would lose them).
  await dropRunStates(ch);
  await expectUsageAsContributions(ch);
  await compactRollups(ch, NO_GRACE);
  expect((await expectCountsAsStates(ch)).days).toBeGreaterThan(usedBefore.days);
  const compacted = await usageAsContributions(ch);
  expect(compacted.monthRows).toBeGreaterThan(waiting.monthRows);
  expect(compacted.newerBesideMonthRows).toBe(0);

  // A compaction that died after writing its rows (an old generation, never recorded): not read, and
  // dropped once two newer generations are recorded.
  await ch.command({
    query: `INSERT INTO ${ROLLUP_LEVELS.class.compact} (${ROLLUP_LEVELS.class.keys}, generation, ${STATE_COLUMNS.join(', ')})
            SELECT ${ROLLUP_LEVELS.class.keys}, toUInt64(5), ${STATE_COLUMNS.join(', ')}
            FROM ${ROLLUP_LEVELS.class.compact} WHERE toYYYYMM(local_date) = 202609`,
  });
  await expectSameAsUncompacted(ch);
  // A fold of October's events only: monthsWithNewer names October alone, so cells()'s second read
  // (as the license window reads) skips September's newer scan and must still be exact.
  await store(1, 500, 550);
  await deriveRollups(ch, topic, 1, 550n);
  expect([...(await monthsWithNewer(ch, await readCompactionState(ch), WINDOW)).months]).toEqual([202610]);
  await expectSameAsUncompacted(ch);
  await store(0, 500, 550);
  await deriveRollups(ch, topic, 0, 550n);
  await foldBatches(11, 12);
  await compactRollups(ch, NO_GRACE);
  expect(await compactGenerations(ch, 202609)).toBe(2);

  // A re-fold after the compactions (late roster: some people resolved with another role): every
  // compaction so far is unusable, readers fall back to the contributions until the next one.
  const stale = await readCompactionState(ch);
  const revised = partitions.flatMap((list, partition) =>
    list
      .map((e, offset) => ({ e, offset }))
      .filter(({ e, offset }) => offset < 500 && e.role === 'student' && e.person_id < '4')
      .map(({ e, offset }) => ({
        ...usageEventRow({ ...e, role: 'teacher' }, { topic, partition, offset: String(offset) }, storedAt),
        revision: 1_700_000_000_000,
        roster_version: '1700000000000-abc',
        revised_at: storedAt,
      })),
  );
  expect(revised.length).toBeGreaterThan(20);
  await insertRows(ch, 'usage_event_revisions', revised);
  for (const p of [0, 1]) {
    for (const r of await derivedRanges(ch, topic, p)) await refoldRange(ch, topic, p, r.from, r.to);
  }
  expect((await readCompactionState(ch)).months.size).toBe(0);
  // The stale state would still give the numbers from before the re-fold: why it is invalidated.
  expect(await cells(ch, stale, 'district')).not.toEqual(await cells(ch, NO_COMPACTION, 'district'));
  await expectSameAsUncompacted(ch);
  const afterRefold = await compactRollups(ch, NO_GRACE);
  for (const r of afterRefold) expect(r.incremental).toBe(false);
  const district = await expectSameAsUncompacted(ch);

  // And all of it equals the events themselves (revised roles, every offset folded).
  const revisedKeys = new Set(
    revised.map(
      (r) => `${(r as { kafka_partition: number }).kafka_partition}:${(r as { kafka_offset: string }).kafka_offset}`,
    ),
  );
  const finalEvents = partitions.flatMap((list, partition) =>
    list.map((e, offset) => (revisedKeys.has(`${partition}:${offset}`) ? { ...e, role: 'teacher' as const } : e)),
  );
  expect(district).toEqual(referenceLines(finalEvents));
  // Person-minutes per app over both months, counted a month at a time, equal the distinct
  // (person, minute) pairs of the events.
  const expectedMinutes = new Map<string, Set<string>>();
  for (const e of finalEvents.filter((x) => x.counts_minute)) {
    const set = expectedMinutes.get(e.app_id) ?? new Set<string>();
    set.add(`${e.person_id}|${e.occurred_at.slice(0, 16)}`);
    expectedMinutes.set(e.app_id, set);
  }
  const minutes = await distinctPersonMinutes(ch, await readCompactionState(ch), 'district', WINDOW, ['app_id']);
  expect(new Map([...minutes].map(([k, n]) => [(JSON.parse(k) as string[])[0], n]))).toEqual(
    new Map([...expectedMinutes].map(([app, set]) => [app, set.size])),
  );
  // Nothing new since: a run changes nothing.
  for (const r of await compactRollups(ch, NO_GRACE)) expect(r.generation).toBeNull();

  // A generation without counts and month grain (made before migrations 0008 and 0009): readers merge
  // its states; the next runs give it both (two at once here, as two jobs processes could: duplicate
  // rows are equal), and they equal the states again.
  const current = (await readCompactionState(ch)).months.get(202610)!;
  await ch.command({ query: `ALTER TABLE ${COUNTS_TABLE} DROP PARTITION (202610, ${current.generation})` });
  await ch.command({ query: `ALTER TABLE ${MONTHS_TABLE} DROP PARTITION (202610, ${current.generation})` });
  const without = await expectCountsAsStates(ch);
  const monthRowsWithout = await expectUsageAsContributions(ch);
  await Promise.all([compactRollups(ch, NO_GRACE), compactRollups(ch, NO_GRACE)]);
  const backfilled = await expectCountsAsStates(ch);
  expect(backfilled.days).toBeGreaterThan(without.days);
  expect(backfilled.weeks).toBeGreaterThan(without.weeks);
  expect(await expectUsageAsContributions(ch)).toBeGreaterThan(monthRowsWithout);

  // Migration 0011's set of tables: the compacted cells at a finer index granularity, and a record of
  // compactions of its own; migration 0013 dropped the first set (0007-0010) but not the shared
  // invalidations.
  const granularity = { district: 64, school: 64, class: 256 };
  for (const level of ALL_LEVELS) {
    const [table] = await queryRows<{ engine_full: string }>(
      ch,
      `SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = '${ROLLUP_LEVELS[level].compact}'`,
    );
    expect(table?.engine_full).toMatch(new RegExp(`index_granularity = ${granularity[level]}\\b`));
  }
  // Every table of the set is a `_v2` one: with a first-set name, this version's drops of old
  // generations would drop an older version's rows.
  const tables = [
    ...ALL_LEVELS.map((l) => ROLLUP_LEVELS[l].compact),
    COMPACTIONS_TABLE,
    COUNTS_TABLE,
    MONTHS_TABLE,
    RUNS_TABLE,
    CHECKS_TABLE,
  ];
  expect(tables.filter((t) => !t.endsWith('_v2'))).toEqual([]);
  const firstSet = [...tables.map((t) => t.replace(/_v2$/, '')), 'rollup_compaction_invalidations'];
  const present = await queryRows<{ name: string }>(
    ch,
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN (${firstSet.map((t) => `'${t}'`).join(', ')})`,
  );
  expect(present.map((t) => t.name)).toEqual(['rollup_compaction_invalidations']);
  expect(await expectSameAsUncompacted(ch)).toEqual(district);
}

describe('rollup compaction', () => {
  it('reads the same cells as the contributions alone, through crashes and a re-fold, on ClickHouse 18.16', async () => {
    await onTestClickHouse('compaction', scenario);
  });

  it('does the same on current ClickHouse', async () => {
    await onCurrentClickHouse('edusage_compaction', scenario);
  });
});
