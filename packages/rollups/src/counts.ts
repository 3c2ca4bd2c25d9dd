/**
 * Stored distinct counts (migration 0008, docs/ARCHITECTURE.md "Rollup counts"): each compaction
 * writes, from the district and school cells of its generation, the distinct people and person-minutes
 * per scope (district or school) × app × role × day and the distinct people per Monday-starting week,
 * so a reader that needs a count per day or week reads a number instead of merging states.
 *
 * A count is only valid for the generations it was made from and the ranges below their marks: a
 * reader checks both (countsFor) and merges states where it cannot use one.
 */
import { command, queryRows, sqlDate, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { ROLLUP_LEVELS } from './levels';
import { markOf } from './marks';
import { addDays, daysOf, firstDayOf, lastDayOf, monthOf } from './months';
import { leavesOutNewer, type CompactionState, type MonthCompaction } from './state';

export const COUNTS_TABLE = 'rollup_app_counts_v2';

/**
 * The levels counted, each with the column that names a count's scope: '' = the whole district, else
 * one school (activity with no school has no school count: no license is scoped to "no school").
 */
const SCOPES = [
  { level: ROLLUP_LEVELS.district, scope: "''", filter: '1' },
  { level: ROLLUP_LEVELS.school, scope: 'school_id', filter: "school_id != ''" },
] as const;

/** The Monday of a day's week (ClickHouse's toMonday). */
export function mondayOf(day: string): string {
  const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(day, -weekday);
}

const previousMonth = (month: number): number => monthOf(addDays(firstDayOf(month), -1));

/**
 * Writes the counts of the month's district and school cells of `generation` (already written), then
 * its marker.
 * The week that starts in the previous month is counted from this generation's cells and those of the
 * previous month's compaction usable in `state` (none: that week is not counted). Called before the generation is recorded, so a
 * reader never sees a generation without its counts.
 */
export async function writeCounts(
  ch: ClickHouseClient,
  month: number,
  generation: bigint,
  state: CompactionState,
): Promise<void> {
  const previous = state.months.get(previousMonth(month));
  const first = firstDayOf(month);
  // The week crossing from the previous month is counted when that month has a usable compaction.
  const crossing = mondayOf(first) !== first && previous !== undefined;
  const prev = crossing ? sqlNumber(BigInt(previous.generation)) : '0';
  for (const { level, scope, filter } of SCOPES) {
    await writeScopeCounts(ch, month, sqlNumber(generation), crossing ? prev : null, level.compact, scope, filter);
  }
  await command(
    ch,
    `INSERT INTO ${COUNTS_TABLE} (month, district_id, scope, span_from, span_days, app_id, role, generation, prev_generation, active_users, active_minutes)
     VALUES (${sqlNumber(month)}, '', '', ${sqlDate(first)}, 0, '', '', ${sqlNumber(generation)}, ${prev}, 0, 0)`,
  );
}

async function writeScopeCounts(
  ch: ClickHouseClient,
  month: number,
  g: string,
  prev: string | null,
  compact: string,
  scope: string,
  filter: string,
): Promise<void> {
  const first = firstDayOf(month);
  const last = lastDayOf(month);
  const cells = (gen: string, from: string, to: string) =>
    `SELECT district_id, ${scope} AS scope, local_date, app_id, role, active_users, active_minutes FROM ${compact}
     WHERE generation = ${gen} AND local_date BETWEEN ${sqlDate(from)} AND ${sqlDate(to)} AND ${filter}`;
  const insert = `INSERT INTO ${COUNTS_TABLE}
    (month, district_id, scope, span_from, span_days, app_id, role, generation, prev_generation, active_users, active_minutes)`;
  // Days, then the weeks wholly inside the month (people only: minutes are counted per day).
  await command(
    ch,
    `${insert}
     SELECT ${sqlNumber(month)}, district_id, scope, local_date, 1, app_id, role, ${g}, 0,
            uniqExactMerge(active_users), uniqExactIfMerge(active_minutes)
     FROM (${cells(g, first, last)}) GROUP BY district_id, scope, local_date, app_id, role`,
  );
  const firstWholeWeek = mondayOf(first) === first ? first : addDays(mondayOf(first), 7);
  const lastWholeWeekDay = addDays(mondayOf(addDays(last, 1)), -1);
  if (firstWholeWeek <= lastWholeWeekDay) {
    await command(
      ch,
      `${insert}
       SELECT ${sqlNumber(month)}, district_id, scope, toMonday(local_date) AS week, 7, app_id, role, ${g}, 0,
              uniqExactMerge(active_users), toUInt64(0)
       FROM (${cells(g, firstWholeWeek, lastWholeWeekDay)}) GROUP BY district_id, scope, week, app_id, role`,
    );
  }
  if (prev !== null) {
    const monday = mondayOf(first);
    await command(
      ch,
      `${insert}
       SELECT ${sqlNumber(month)}, district_id, scope, toMonday(local_date) AS week, 7, app_id, role, ${g}, ${prev},
              uniqExactMerge(active_users), toUInt64(0)
       FROM (${cells(prev, monday, addDays(first, -1))} UNION ALL ${cells(g, first, addDays(monday, 6))})
       GROUP BY district_id, scope, week, app_id, role`,
    );
  }
}

/** One stored count: an app × role over a day (span 1) or a week from its Monday (span 7) in a scope. */
export interface StoredCount {
  active_users: number;
  active_minutes: number;
}

/** A cell of the counts: scope ('' = the whole district, else a school's sourcedId), app and role. */
export interface CountCell {
  scope: string;
  app: string;
  role: string;
}

/** What countsFor found for a window of days, and which of it a reader may use. */
export interface RollupCounts {
  /**
   * The day's counts are usable: a day asked for (CountsWanted.days), its month's compaction wrote
   * counts, and the cell has no newer contribution that day (none is looked for under a state that
   * leaves them out: asOfCompactions).
   */
  usableDay: (cell: CountCell, day: string) => boolean;
  /** The week's counts are usable: a week asked for, every day of it, and made from the generations read now. */
  usableWeek: (cell: CountCell, monday: string) => boolean;
  /** A usable day's or week's count; undefined = no row = no use. */
  day: (cell: CountCell, day: string) => StoredCount | undefined;
  week: (cell: CountCell, monday: string) => StoredCount | undefined;
}

const key = (c: CountCell, span: string) => `${c.scope}\u0000${c.app}\u0000${c.role}\u0000${span}`;

/** What a reader asks countsFor: the cells, the days of the day counts and the weeks of the week counts. */
export interface CountsWanted {
  cells: readonly CountCell[];
  days: { from: string; to: string };
  /** The weeks (Mondays) whose week counts are wanted; none when undefined. */
  weeks?: { from: string; to: string };
}

/**
 * The stored counts of one district's cells, with which of them a reader may use under `state` (the
 * compactions whose states it would otherwise merge). Only the cells asked for are read: a school
 * year of day counts of every school × app × role is ~700k rows.
 */
export async function countsFor(
  ch: ClickHouseClient,
  state: CompactionState,
  districtId: string,
  want: CountsWanted,
): Promise<RollupCounts> {
  const weeks = want.weeks === undefined ? undefined : { from: mondayOf(want.weeks.from), to: want.weeks.to };
  const from = weeks !== undefined && weeks.from < want.days.from ? weeks.from : want.days.from;
  const to = weeks !== undefined && weeks.to > want.days.to ? weeks.to : want.days.to;
  const compacted = compactionsCovering(state, from, to);
  const found =
    compacted.length > 0 && want.cells.length > 0
      ? await readStoredCounts(ch, state, compacted, districtId, want, weeks)
      : nothingFound();
  return usableCounts(state, want.days, weeks, found);
}

/** The weeks whose counts are wanted, from the Monday of the first (CountsWanted.weeks). */
type WantedWeeks = { from: string; to: string } | undefined;

/** What the counts table holds for the cells asked for, of the generations read now. */
interface FoundCounts {
  /**
   * Per month whose generation read now has its marker: the previous month's generations its crossing
   * week was made from (a backfill run twice may have made it from two).
   */
  markers: Map<number, Set<string>>;
  /** key(cell, day) of the cell-days with contributions newer than their month's compaction. */
  dirty: Set<string>;
  /**
   * By key(cell, '1:day') or key(cell, '7:monday'); a crossing week's span ends with ':' and the previous
   * month's generation it was made from.
   */
  counts: Map<string, StoredCount>;
}

const nothingFound = (): FoundCounts => ({ markers: new Map(), dirty: new Set(), counts: new Map() });

/**
 * The compactions read now of the months of the whole weeks that from..to touch: a week's counts are
 * written by the month of its Sunday.
 */
function compactionsCovering(state: CompactionState, from: string, to: string): MonthCompaction[] {
  const months = new Set(daysOf(mondayOf(from), addDays(mondayOf(to), 6)).map(monthOf));
  return [...months].flatMap((m) => {
    const c = state.months.get(m);
    return c === undefined ? [] : [c];
  });
}

interface NewerRow {
  scope: string;
  app_id: string;
  role: string;
  day: string;
}

interface CountRow {
  month: number | string;
  gen: string;
  prev: string;
  scope: string;
  app_id: string;
  role: string;
  day: string;
  span_days: number | string;
  active_users: number | string;
  active_minutes: number | string;
}

/** Reads the counts, markers and newer contributions of the cells asked for in the months of `compacted`. */
async function readStoredCounts(
  ch: ClickHouseClient,
  state: CompactionState,
  compacted: readonly MonthCompaction[],
  districtId: string,
  want: CountsWanted,
  weeks: WantedWeeks,
): Promise<FoundCounts> {
  const d = sqlString(districtId);
  // None looked for in a read as of the compactions.
  const newerSql = leavesOutNewer(state) ? null : newerContributionsSql(compacted, want.cells, d);
  const countsSql = storedCountsSql(compacted, d, want, weeks);
  const [newer, rows] = await Promise.all([
    newerSql === null ? [] : queryRows<NewerRow>(ch, newerSql),
    queryRows<CountRow>(ch, countsSql),
  ]);
  const found = nothingFound();
  for (const r of newer) found.dirty.add(key({ scope: r.scope, app: r.app_id, role: r.role }, r.day));
  for (const r of rows) addCountRow(found, state, r);
  return found;
}

/**
 * SQL: the cells with contributions newer than their month's compaction (their counts miss those), in
 * one query: each part is a cheap PREWHERE read, many small requests cost more than the reads. It reads
 * the levels of the cells asked for, the school level only for their schools (its sort key starts
 * with the school).
 */
function newerContributionsSql(compacted: readonly MonthCompaction[], cells: readonly CountCell[], d: string): string {
  const apps = [...new Set(cells.map((c) => sqlString(c.app)))].join(', ');
  const schools = [...new Set(cells.filter((c) => c.scope !== '').map((c) => sqlString(c.scope)))];
  const levels = SCOPES.filter((x) => (x.scope === "''" ? cells.some((c) => c.scope === '') : schools.length > 0));
  const inSchools = (scope: string) => (scope === "''" ? '1' : `school_id IN (${schools.join(', ')})`);
  return compacted
    .flatMap((c) =>
      levels.map(
        ({ level, scope, filter }) =>
          `SELECT DISTINCT ${scope} AS scope, app_id, role, toString(local_date) AS day FROM ${level.parts}
                 PREWHERE range_start >= ${markOf(c.marks)}
                 WHERE district_id = ${d} AND ${filter} AND ${inSchools(scope)} AND app_id IN (${apps})
                   AND local_date BETWEEN ${sqlDate(firstDayOf(c.month))} AND ${sqlDate(lastDayOf(c.month))}`,
      ),
    )
    .join('\n UNION ALL ');
}

/**
 * SQL: the counts and the markers in ONE select (one snapshot of the table): a marker seen with rows
 * read before it was written would make the missing rows read as "no use". Aliases differ from the
 * columns: ClickHouse applies a SELECT alias in WHERE too.
 */
function storedCountsSql(
  compacted: readonly MonthCompaction[],
  d: string,
  want: CountsWanted,
  weeks: WantedWeeks,
): string {
  const generations = compacted.map((c) => sqlNumber(BigInt(c.generation))).join(', ');
  const cells = want.cells.map((c) => sqlString(`${c.scope}|${c.app}|${c.role}`)).join(', ');
  const weekSpans =
    weeks === undefined
      ? ''
      : ` OR span_days = 7 AND span_from BETWEEN ${sqlDate(weeks.from)} AND ${sqlDate(weeks.to)}`;
  return `SELECT month, toString(generation) AS gen, toString(prev_generation) AS prev, scope, app_id, role,
                toString(span_from) AS day, span_days, active_users, active_minutes
         FROM ${COUNTS_TABLE}
         WHERE generation IN (${generations}) AND (
           span_days = 0 AND district_id = ''
           OR district_id = ${d} AND concat(scope, '|', app_id, '|', role) IN (${cells})
              AND (span_days = 1 AND span_from BETWEEN ${sqlDate(want.days.from)} AND ${sqlDate(want.days.to)}${weekSpans}))`;
}

/** Adds a row of the counts table to `found`: a month's marker or a count. */
function addCountRow(found: FoundCounts, state: CompactionState, r: CountRow): void {
  // Only the generation read for that month (the previous one is kept for a while).
  if (state.months.get(Number(r.month))?.generation !== r.gen) return;
  const month = Number(r.month);
  if (Number(r.span_days) === 0) {
    found.markers.set(month, (found.markers.get(month) ?? new Set()).add(r.prev));
    return;
  }
  // A crossing week is keyed by the previous month's generation it was made from.
  const crossing = Number(r.span_days) === 7 && monthOf(r.day) !== month ? `:${r.prev}` : '';
  found.counts.set(key({ scope: r.scope, app: r.app_id, role: r.role }, `${r.span_days}:${r.day}${crossing}`), {
    active_users: Number(r.active_users),
    active_minutes: Number(r.active_minutes),
  });
}

/** The answers of countsFor: which of the counts found a reader may use, and their values. */
function usableCounts(
  state: CompactionState,
  days: CountsWanted['days'],
  weeks: WantedWeeks,
  { markers, dirty, counts }: FoundCounts,
): RollupCounts {
  /** The generation of the month before `monday`'s crossing week that is read now ('' when none). */
  const previousRead = (monday: string) => state.months.get(monthOf(monday))?.generation ?? '';
  const usableWeek = (cell: CountCell, monday: string) => {
    if (weeks === undefined || monday < weeks.from || monday > weeks.to) return false;
    const sunday = addDays(monday, 6);
    const made = markers.get(monthOf(sunday));
    if (made === undefined) return false;
    // The crossing week: made from the previous month's generation that is read now.
    if (monthOf(monday) !== monthOf(sunday) && !made.has(previousRead(monday))) return false;
    return daysOf(monday, sunday).every((d) => !dirty.has(key(cell, d)));
  };
  return {
    usableDay: (cell, day) =>
      day >= days.from && day <= days.to && markers.has(monthOf(day)) && !dirty.has(key(cell, day)),
    usableWeek,
    day: (cell, day) => counts.get(key(cell, `1:${day}`)),
    week: (cell, monday) => {
      const crossing = monthOf(monday) !== monthOf(addDays(monday, 6)) ? `:${previousRead(monday)}` : '';
      return counts.get(key(cell, `7:${monday}${crossing}`));
    },
  };
}

/** Whether the month's generation has its counts (their marker): not one made before migration 0008. */
export async function hasCounts(ch: ClickHouseClient, month: number, generation: string): Promise<boolean> {
  const rows = await queryRows<{ n: string }>(
    ch,
    `SELECT toString(count()) AS n FROM ${COUNTS_TABLE}
     WHERE span_days = 0 AND district_id = '' AND month = ${sqlNumber(month)} AND generation = ${sqlNumber(BigInt(generation))}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}
