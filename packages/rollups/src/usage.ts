/**
 * Usage per cell without day and role (an app, a school × app, a class × app) over a window: the
 * measures every usage report shows (docs/ARCHITECTURE.md "Metric rules"), read from the month grain
 * where it may be used and from the day cells elsewhere (the plan: usage-plan.ts), with the distinct
 * people of a run of months read as a stored count where one is usable (month-runs.ts).
 * Each cell-month is read one way, never both: the month rows chosen and the day cells left out are the
 * same condition.
 */
import { queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { MONTH_CELL, MONTHS_TABLE, type RollupLevel } from './levels';
import { groupKey } from './minutes';
import { RUN_LEVELS, RUNS_TABLE, runCounts, usableRuns, type RunLevel } from './month-runs';
import { rollupRows } from './read';
import type { CompactionState } from './state';
import { cellTuple, cellValues, planUsage, type PiecePlan, type UsageWindow } from './usage-plan';

export type { UsageWindow } from './usage-plan';

/** A cell's usage over the window. */
export interface UsageMeasures {
  /** The cell's columns (MONTH_CELL of the level), in order. */
  cell: string[];
  active_users: number;
  events: number;
  explicit_seconds: number;
  /** Distinct (person, minute) pairs of hit-style events: engaged seconds = explicit + 60 × these. */
  active_minutes: number;
  active_days: number;
  /** Month rows read for the cell (0: all from day cells), and whether its people came from a run count. */
  month_rows: number;
  run_count: boolean;
}

/** More cells with newer contributions than this in a window: no run counts (the query names them). */
const MAX_NEWER_FOR_RUNS = 100;

/**
 * SQL: one piece's rows of a read, month rows and day cells in one shape: `sums` (events, seconds,
 * days, minutes of the month rows) or `people` (the active_users states of the cells not `skip`ped).
 * `skip` (a PREWHERE condition) leaves cells out before their states are read.
 */
function pieceRows(
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  p: PiecePlan,
  read: { kind: 'sums' | 'people'; where?: string; skip?: string },
): string[] {
  const cell = MONTH_CELL[level].join(', ');
  const prewhere = [p.notMonthRows, read.skip].filter((c): c is string => c !== undefined).join(' AND ');
  const dayRows = rollupRows(
    state,
    level,
    { ...w, from: p.from, to: p.to },
    {
      columns: read.kind === 'sums' ? ['events', 'explicit_seconds'] : ['active_users'],
      where: read.where,
      prewhere: prewhere === '' ? undefined : prewhere,
    },
  );
  const days =
    read.kind === 'sums'
      ? `SELECT ${cell}, finalizeAggregation(events) AS cell_events, finalizeAggregation(explicit_seconds) AS cell_seconds,
           local_date, toUInt8(0) AS month_days, toUInt64(0) AS month_minutes, toUInt8(0) AS month_row
         FROM (${dayRows}) AS r`
      : `SELECT ${cell}, active_users FROM (${dayRows}) AS r`;
  if (p.monthRows === null) return [days];
  // One row per cell: two backfills of one generation at once write its rows twice (equal rows).
  const months =
    read.kind === 'sums'
      ? `SELECT ${cell}, events AS cell_events, explicit_seconds AS cell_seconds, toDate('1970-01-01') AS local_date,
           active_days AS month_days, active_minutes AS month_minutes, toUInt8(1) AS month_row
         FROM ${MONTHS_TABLE} WHERE ${p.monthRows} LIMIT 1 BY ${cell}`
      : `SELECT ${cell}, active_users FROM ${MONTHS_TABLE}
         ${read.skip === undefined ? '' : `PREWHERE level = ${sqlString(level)} AND ${read.skip} `}WHERE ${p.monthRows} LIMIT 1 BY ${cell}`;
  return [months, ...(p.readDays ? [days] : [])];
}

/** SQL: per cell, Σ over days of the distinct person-minutes of the pieces' day cells. */
function dayMinutes(
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  pieces: PiecePlan[],
  where: string | undefined,
): string {
  const cell = MONTH_CELL[level].join(', ');
  const rows = pieces
    .map(
      (p) =>
        `SELECT ${cell}, local_date, active_minutes FROM (${rollupRows(state, level, { ...w, from: p.from, to: p.to }, { columns: ['active_minutes'], where, prewhere: p.notMonthRows })}) AS r`,
    )
    .join('\n UNION ALL ');
  return `SELECT ${cell}, toString(sum(day_minutes)) AS minutes FROM (
      SELECT ${cell}, local_date, uniqExactIfMerge(active_minutes) AS day_minutes FROM (${rows}) AS d
      GROUP BY ${cell}, local_date) AS per_day
    GROUP BY ${cell}`;
}

/**
 * Person-minutes of the day cells read: the pieces with month rows (few day cells: the newer and
 * partial ones) in one query, each other piece alone (a year of person-minutes at once needs more
 * memory than a query gets, docs/BENCHMARKS.md).
 */
async function dayCellMinutes(
  ch: ClickHouseClient,
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  plans: PiecePlan[],
  where: string | undefined,
): Promise<Map<string, number>> {
  const cell = MONTH_CELL[level];
  const together = plans.filter((p) => p.monthRows !== null && p.readDays);
  const groups = [
    ...(together.length === 0 ? [] : [together]),
    ...plans.filter((p) => p.monthRows === null).map((p) => [p]),
  ];
  const out = new Map<string, number>();
  for (const group of groups) {
    for (const r of await queryRows<Record<string, string>>(ch, dayMinutes(state, level, w, group, where))) {
      const k = groupKey(cell.map((c) => r[c]));
      out.set(k, (out.get(k) ?? 0) + Number(r.minutes));
    }
  }
  return out;
}

/**
 * The window's run of months where its stored distinct people may be used: every piece read from
 * month rows, the run counted from the generations read now, and the cell with no newer contribution
 * in any piece (those are merged). Null for one month (its month rows are the count), the class level,
 * or more than MAX_NEWER_FOR_RUNS newer cells. `usable` is the condition on the runs table, `skip`
 * the one leaving those cells' states unread.
 */
function runPlan(
  level: RollupLevel,
  w: UsageWindow,
  plans: PiecePlan[],
  where: string | undefined,
): { level: RunLevel; usable: string; skip: string } | null {
  const newer = [...new Map(plans.flatMap((p) => p.newer).map((v) => [groupKey(v), v])).values()];
  if (
    !(RUN_LEVELS as readonly string[]).includes(level) ||
    plans.length < 2 ||
    plans.some((p) => p.monthRows === null) ||
    newer.length > MAX_NEWER_FOR_RUNS
  ) {
    return null;
  }
  const cell = MONTH_CELL[level];
  const generations = plans.map((p) => p.compaction!.generation);
  const usable =
    usableRuns(level as RunLevel, w, generations, where) +
    (newer.length === 0 ? '' : ` AND ${cellTuple(cell)} NOT IN (${cellValues(newer)})`);
  return {
    level: level as RunLevel,
    usable,
    skip: `${cellTuple(cell)} NOT IN (SELECT ${cell.join(', ')} FROM ${RUNS_TABLE} WHERE ${usable})`,
  };
}

/**
 * The usage of every cell of the level with events in the window (`where`: more conditions on the
 * cell's columns), in no particular order.
 */
export async function usageByCell(
  ch: ClickHouseClient,
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  o: { where?: string } = {},
): Promise<UsageMeasures[]> {
  const plans = await planUsage(ch, state, level, w, o.where);
  if (plans.length === 0) return [];
  const cell = MONTH_CELL[level];
  // The people of the cells without a run count are merged; the others' states are never read.
  const run = runPlan(level, w, plans, o.where);
  const skip = run?.skip;
  const union = (kind: 'sums' | 'people') =>
    plans.flatMap((p) => pieceRows(state, level, w, p, { kind, where: o.where, skip })).join('\n UNION ALL ');
  const groupBy = cell.join(', ');
  const [runs, rows, people, minutes] = await Promise.all([
    run === null ? new Map<string, number>() : runCounts(ch, run.level, run.usable),
    queryRows<Record<string, string>>(
      ch,
      `SELECT ${groupBy}, toString(sum(cell_events)) AS events, toString(sum(cell_seconds)) AS explicit_seconds,
              toString(sum(month_days) + uniqExactIf(local_date, month_row = 0 AND cell_events > 0)) AS active_days,
              toString(sum(month_minutes)) AS minutes_of_months, toString(sum(month_row)) AS month_rows
       FROM (${union('sums')}) AS u
       GROUP BY ${groupBy} HAVING sum(cell_events) > 0`,
    ),
    queryRows<Record<string, string>>(
      ch,
      `SELECT ${groupBy}, toString(uniqExactMerge(active_users)) AS active_users FROM (${union('people')}) AS u
       GROUP BY ${groupBy}`,
    ),
    dayCellMinutes(ch, state, level, w, plans, o.where),
  ]);
  const merged = new Map(people.map((r) => [groupKey(cell.map((c) => r[c])), Number(r.active_users)]));
  return rows.map((r) => {
    const values = cell.map((c) => String(r[c]));
    const key = groupKey(values);
    const counted = runs.get(key);
    return {
      cell: values,
      active_users: counted ?? merged.get(key) ?? 0,
      events: Number(r.events),
      explicit_seconds: Number(r.explicit_seconds),
      active_minutes: Number(r.minutes_of_months) + (minutes.get(key) ?? 0),
      active_days: Number(r.active_days),
      month_rows: Number(r.month_rows),
      run_count: counted !== undefined,
    };
  });
}
