/**
 * How every report reads a rollup level: its current rows of a window of days, from the compaction
 * where a month has one and from the contributions otherwise. The rows are not one per cell (a cell
 * has its compacted row plus any newer contributions): readers merge states with -Merge functions.
 */
import { queryRows, sqlDate, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { ROLLUP_LEVELS, STATE_COLUMNS, type RollupLevel, type StateColumn } from './levels';
import { markOf } from './marks';
import { dateSlices, monthOf, monthPieces } from './months';
import { leavesOutNewer, type CompactionState, type MonthCompaction } from './state';

/** An inclusive range of district-local days, of one district (or of all: the research tables). */
export interface RollupWindow {
  districtId?: string;
  from: string;
  to: string;
}

export interface RollupReadOptions {
  /** The state columns to read (each costs reading and copying); all by default. */
  columns?: readonly StateColumn[];
  /** More conditions on the cell's columns (school_id, class_id, app_id, role), built with the escaping helpers. */
  where?: string;
  /**
   * Conditions on the cell's key columns that leave most rows out (e.g. a NOT IN of cells read
   * elsewhere): in PREWHERE of the compaction's rows, so the left-out rows' states are never read; in
   * WHERE of the newer contributions (their PREWHERE on range_start already leaves few rows, and a set
   * lookup on every row of a month's contributions costs more than it saves: a month of the benchmark's
   * school rollup read in 90-110 ms with it in PREWHERE, 35 ms in WHERE).
   */
  cellFilter?: string;
  /**
   * Read the newer contributions only of the months monthsWithNewer found some in (for this state and
   * a window containing this one); default: every compacted month's. Reading none still costs a scan
   * of the month's range_start (~20 ms a month of the benchmark's school rollup).
   */
  newerMonths?: NewerMonths;
}

/** monthsWithNewer's answer: tied to the state and window it was looked up for. */
export interface NewerMonths {
  readonly state: CompactionState;
  readonly window: RollupWindow;
  /** The compacted months (YYYYMM) with newer district contributions on the window's days. */
  readonly months: ReadonlySet<number>;
}

/**
 * SQL (a UNION ALL to put in parentheses) of the level's rows of the window: the cell's key columns
 * and the state columns asked for. Per month:
 * - with a usable compaction: its generation's merged cells, plus the contributions at or above its
 *   marks (newer ranges, read with FINAL: a range being folded again replaces its own rows), unless
 *   the state leaves them out (asOfCompactions: the generation's cells alone);
 * - without: every contribution, with FINAL, in slices of at most 16 days (ClickHouse 18.16 reads a
 *   FINAL in one thread; separate slices are read in parallel).
 * Exact: a compaction holds exactly the ranges below its marks, and a range below a watermark is never
 * folded again except by a re-fold, which invalidates every compaction (state.ts).
 * The filters sit inside each FINAL read: 18.16 does not push an outer WHERE into a FINAL subquery.
 */
export function rollupRows(
  state: CompactionState,
  level: RollupLevel,
  w: RollupWindow,
  o: RollupReadOptions = {},
): string {
  const read = levelRead(level, w, o);
  if (w.from > w.to) return read.fromParts(w.from, w.to);
  const looked = o.newerMonths;
  if (
    looked !== undefined &&
    (looked.state !== state ||
      looked.window.districtId !== w.districtId ||
      w.from < looked.window.from ||
      w.to > looked.window.to)
  ) {
    throw new Error('rollupRows: newerMonths was looked up for another compaction state or window');
  }
  return monthPieces(w.from, w.to)
    .flatMap((piece) => {
      if (!state.months.has(piece.month)) {
        return dateSlices(piece.from, piece.to).map((s) => read.fromParts(s.from, s.to));
      }
      const pieceWindow = { ...w, from: piece.from, to: piece.to };
      const compacted = compactedRows(state, level, pieceWindow, o);
      return leavesOutNewer(state) || (looked !== undefined && !looked.months.has(piece.month))
        ? [compacted]
        : [compacted, newerRows(state, level, pieceWindow, o)];
    })
    .join('\n  UNION ALL ');
}

/** The compaction of the one month `w` lies in (a caller's error otherwise). */
function compactionOf(state: CompactionState, w: RollupWindow, who: string): MonthCompaction {
  const c = state.months.get(monthOf(w.from));
  if (c === undefined || monthOf(w.to) !== monthOf(w.from)) {
    throw new Error(`${who}: ${w.from}..${w.to} is not within one compacted month`);
  }
  return c;
}

/** SQL: rollupRows' rows of a window inside one compacted month from its compaction (`cellFilter` in PREWHERE). */
export function compactedRows(
  state: CompactionState,
  level: RollupLevel,
  w: RollupWindow,
  o: Omit<RollupReadOptions, 'newerMonths'> = {},
): string {
  const c = compactionOf(state, w, 'compactedRows');
  const read = levelRead(level, w, o);
  return `SELECT ${read.columns} FROM ${ROLLUP_LEVELS[level].compact} ${o.cellFilter === undefined ? '' : `PREWHERE ${o.cellFilter} `}WHERE generation = ${sqlNumber(BigInt(c.generation))} AND ${read.where(w.from, w.to)}`;
}

/**
 * SQL: the contributions newer than the compaction of the one month `w` lies in (`cellFilter` in
 * WHERE). Refused under a state that leaves them out: a read as of the compactions must not reach here.
 */
export function newerRows(
  state: CompactionState,
  level: RollupLevel,
  w: RollupWindow,
  o: Omit<RollupReadOptions, 'newerMonths'> = {},
): string {
  if (leavesOutNewer(state)) throw new Error('newerRows: this read is as of the compactions (asOfCompactions)');
  const c = compactionOf(state, w, 'newerRows');
  return levelRead(level, w, o).fromParts(w.from, w.to, `range_start >= ${markOf(c.marks)}`);
}

/**
 * The window's compacted months with district contributions at or above their compaction's marks on
 * the window's days: rollupRows' `newerMonths`. One query over the district rollup (~1/20 of the
 * school one); a month without newer district contributions has none at the other levels either, as
 * of this lookup (ALL_LEVELS: the fold order). A fold that lands after it is in the next read
 * (docs/ARCHITECTURE.md "While folds land during a read").
 */
export async function monthsWithNewer(
  ch: ClickHouseClient,
  state: CompactionState,
  w: RollupWindow & { districtId: string },
): Promise<NewerMonths> {
  const window = { districtId: w.districtId, from: w.from, to: w.to };
  const pieces = w.from > w.to ? [] : monthPieces(w.from, w.to);
  const compacted = pieces.flatMap((p) => {
    const c = state.months.get(p.month);
    return c === undefined ? [] : [{ ...p, marks: c.marks }];
  });
  if (compacted.length === 0 || leavesOutNewer(state)) return { state, window, months: new Set() };
  const rows = await queryRows<{ month: number }>(
    ch,
    compacted
      .map(
        (p) =>
          `SELECT toUInt32(${sqlNumber(p.month)}) AS month FROM ${ROLLUP_LEVELS.district.parts}
           PREWHERE range_start >= ${markOf(p.marks)}
           WHERE district_id = ${sqlString(w.districtId)} AND local_date BETWEEN ${sqlDate(p.from)} AND ${sqlDate(p.to)}
           LIMIT 1`,
      )
      .join('\n UNION ALL '),
  );
  return { state, window, months: new Set(rows.map((r) => Number(r.month))) };
}

/** The pieces of a level's read: its columns, its WHERE for a range of days, its contributions' SELECT. */
function levelRead(level: RollupLevel, w: RollupWindow, o: RollupReadOptions) {
  const spec = ROLLUP_LEVELS[level];
  const columns = `${spec.keys}, ${(o.columns ?? STATE_COLUMNS).join(', ')}`;
  const district = w.districtId === undefined ? '' : `district_id = ${sqlString(w.districtId)} AND `;
  const where = (from: string, to: string, ...more: (string | undefined)[]) =>
    `${district}local_date BETWEEN ${sqlDate(from)} AND ${sqlDate(to)}` +
    [o.where, ...more]
      .filter((c): c is string => c !== undefined)
      .map((c) => ` AND (${c})`)
      .join('');
  // PREWHERE: only the rows of newer ranges have their states read (a plain WHERE after FINAL reads
  // the whole month's states first: 0.5 s instead of 0.01 s for a month with no newer range). Safe
  // with FINAL: range_start is part of the replacing key, so all versions of a row pass or none.
  const fromParts = (from: string, to: string, newer?: string) =>
    `SELECT ${columns} FROM ${spec.parts} FINAL ${newer === undefined ? '' : `PREWHERE ${newer} `}WHERE ${where(from, to, o.cellFilter)}`;
  return { columns, where, fromParts };
}
