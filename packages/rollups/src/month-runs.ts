/**
 * Distinct people over runs of whole months (migration 0009, table RUNS_TABLE,
 * docs/ARCHITECTURE.md "Rollup month grain"): merging a term's month states of a large district still
 * costs ~0.45 s, so each compaction of a month counts, at the district and school levels, every run of
 * consecutive compacted months that holds it. A row names the generations it was counted from; a
 * reader uses it only while they are the ones it reads (usableRuns, runCounts). Each row also keeps its
 * people as a state (migration 0010), which a reader unites with newer contributions (runPeople).
 */
import { command, queryRows, sqlDate, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { MONTHS_TABLE } from './levels';
import { groupKey } from './minutes';
import { addDays, firstDayOf, lastDayOf, monthOf } from './months';
import type { CompactionState } from './state';

export const RUNS_TABLE = 'rollup_app_month_runs_v2';

/** The levels counted over runs (a class × app term is small enough to merge). */
export const RUN_LEVELS = ['district', 'school'] as const;
export type RunLevel = (typeof RUN_LEVELS)[number];

/** The longest run counted, in months (a school year). */
export const MAX_RUN = 12;

const nextMonth = (m: number) => monthOf(addDays(lastDayOf(m), 1));
const previousMonth = (m: number) => monthOf(addDays(firstDayOf(m), -1));

/** Every run of at least two consecutive months of `months` that holds `month`, at most MAX_RUN long. */
export function runsHolding(month: number, months: ReadonlySet<number>): { first: number; last: number }[] {
  const before: number[] = [];
  for (let m = previousMonth(month); months.has(m) && before.length < MAX_RUN - 1; m = previousMonth(m)) before.push(m);
  const after: number[] = [];
  for (let m = nextMonth(month); months.has(m) && after.length < MAX_RUN - 1; m = nextMonth(m)) after.push(m);
  const runs: { first: number; last: number }[] = [];
  for (let b = 0; b <= before.length; b++) {
    for (let a = 0; a <= after.length && b + a + 1 <= MAX_RUN; a++) {
      if (a + b === 0) continue;
      runs.push({ first: b === 0 ? month : before[b - 1]!, last: a === 0 ? month : after[a - 1]! });
    }
  }
  return runs;
}

/** The months of a run, in order. */
function monthsOf(first: number, last: number): number[] {
  const out: number[] = [];
  for (let m = first; m <= last; m = nextMonth(m)) out.push(m);
  return out;
}

/**
 * Writes the runs holding `month` as `generation` (whose month grain is written), with the other
 * months' generations usable in `state` that have their month grain.
 */
export async function writeMonthRuns(
  ch: ClickHouseClient,
  month: number,
  generation: bigint,
  state: CompactionState,
): Promise<void> {
  const others = [...state.months.values()].filter((c) => c.month !== month);
  const withGrain =
    others.length === 0
      ? []
      : await queryRows<{ month: number | string; g: string }>(
          ch,
          `SELECT DISTINCT month, toString(generation) AS g FROM ${MONTHS_TABLE}
           WHERE level = '' AND (month, generation) IN (${others.map((c) => `(${sqlNumber(c.month)}, ${sqlNumber(BigInt(c.generation))})`).join(', ')})`,
        );
  const generations = new Map<number, string>(withGrain.map((r) => [Number(r.month), r.g]));
  generations.set(month, generation.toString());
  for (const run of runsHolding(month, new Set(generations.keys()))) {
    const months = monthsOf(run.first, run.last);
    const gens = months.map((m) => sqlNumber(BigInt(generations.get(m)!)));
    const pairs = months.map((m, i) => `(${sqlNumber(m)}, ${gens[i]})`).join(', ');
    for (const level of RUN_LEVELS) {
      const school = level === 'school' ? 'school_id' : "'' AS school_id";
      // One row per cell and month (a backfill run twice writes a generation's month rows twice).
      await command(
        ch,
        `INSERT INTO ${RUNS_TABLE} (month, generation, level, district_id, school_id, app_id, first_month, last_month,
           generations, first_day, last_day, active_users, users_state, has_state)
         SELECT ${sqlNumber(month)}, ${sqlNumber(generation)}, ${sqlString(level)}, district_id, school_id, app_id,
                ${sqlNumber(run.first)}, ${sqlNumber(run.last)}, [${gens.map((g) => `toUInt64(${g})`).join(', ')}],
                min(first_day), max(last_day), uniqExactMerge(active_users), uniqExactMergeState(active_users), 1
         FROM (SELECT district_id, ${school}, app_id, month, first_day, last_day, active_users FROM ${MONTHS_TABLE}
               WHERE level = ${sqlString(level)} AND (month, generation) IN (${pairs})
               LIMIT 1 BY month, district_id, school_id, app_id)
         GROUP BY district_id, school_id, app_id`,
      );
    }
  }
}

/**
 * SQL condition on RUNS_TABLE: the rows of the level's cells over the window's months
 * first..last that were counted from the generations read now (`generations`, one per month in order)
 * and whose cell's days with events in the run lie inside the window. A reader takes the counts of
 * the rows it finds and merges the other cells' states, so rows that appear later (another backfill's)
 * change nothing it relies on.
 */
export function usableRuns(
  level: RunLevel,
  w: { districtId: string; from: string; to: string },
  generations: readonly string[],
  where: string | undefined,
): string {
  return `district_id = ${sqlString(w.districtId)} AND level = ${sqlString(level)}
       AND first_month = ${sqlNumber(monthOf(w.from))} AND last_month = ${sqlNumber(monthOf(w.to))}
       AND generations = [${generations.map((g) => `toUInt64(${sqlNumber(BigInt(g))})`).join(', ')}]
       AND first_day >= ${sqlDate(w.from)} AND last_day <= ${sqlDate(w.to)}${where === undefined ? '' : ` AND (${where})`}`;
}

/** The distinct people per cell (groupKey of its columns) of the usable run rows (`usableRuns`). */
export async function runCounts(ch: ClickHouseClient, level: RunLevel, usable: string): Promise<Map<string, number>> {
  const rows = await queryRows<{ school_id: string; app_id: string; users: string }>(
    ch,
    `SELECT school_id, app_id, toString(any(active_users)) AS users FROM ${RUNS_TABLE} WHERE ${usable}
     GROUP BY school_id, app_id`,
  );
  return runCellCounts(level, rows);
}

/** Per cell (groupKey of the level's cell columns), the `users` of runs-table rows. */
function runCellCounts(
  level: RunLevel,
  rows: readonly { school_id: string; app_id: string; users: string }[],
): Map<string, number> {
  return new Map(
    rows.map((r) => [groupKey(level === 'school' ? [r.school_id, r.app_id] : [r.app_id]), Number(r.users)]),
  );
}

/**
 * The distinct people per cell (groupKey of its columns) of the cells with a usable run row that has
 * its state (`usable`: usableRuns; rows before migration 0010 have none), united with `newer`: SQL
 * of the cells' contributions newer than the compactions of the run's months, within the window (each
 * with school_id, app_id, active_users; '' for school_id at the district level). Exact at the moment
 * of the query: a run state holds the compactions of the window's months, the newer contributions
 * hold the rest. `named` (a condition on the cell) narrows both halves to some cells. The conditions on
 * the runs are a PREWHERE: the states of other runs in the same granules are then never read (as a
 * WHERE, a term's district read spent 0.55 s deserializing its neighbours' states instead of 0.05 s).
 */
export async function runStatePeople(
  ch: ClickHouseClient,
  level: RunLevel,
  usable: string,
  newer: readonly string[],
  named: string | undefined,
): Promise<Map<string, number>> {
  const and = named === undefined ? '' : ` AND ${named}`;
  const rows = await queryRows<{ school_id: string; app_id: string; users: string }>(
    ch,
    `SELECT school_id, app_id, toString(uniqExactMerge(people)) AS users FROM (
       SELECT school_id, app_id, users_state AS people, toUInt8(1) AS run FROM ${RUNS_TABLE}
       PREWHERE ${usable} AND has_state = 1${and}
       ${newer.map((sql) => `UNION ALL SELECT school_id, app_id, active_users AS people, toUInt8(0) AS run FROM (${sql}) AS n`).join('\n       ')})
     GROUP BY school_id, app_id
     HAVING max(run) = 1`,
  );
  return runCellCounts(level, rows);
}
