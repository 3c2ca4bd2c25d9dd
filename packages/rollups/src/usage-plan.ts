/**
 * How a usage read (usage.ts) reads each month piece of its window: which cells from their month rows
 * (the month grain), which from their day cells, and whether the day cells need reading at all. One
 * query asks, per compacted piece, for its month grain's marker, the cells with contributions newer than
 * its compaction, and whether any month row lies partly outside the piece; the answers are written
 * into the read as values, so its parts agree even while a fold or a compaction lands.
 */
import { queryRows, sqlDate, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { MONTH_CELL, MONTHS_TABLE, ROLLUP_LEVELS, type RollupLevel } from './levels';
import { markOf } from './marks';
import { monthPieces } from './months';
import type { CompactionState, MonthCompaction } from './state';

export interface UsageWindow {
  districtId: string;
  from: string;
  to: string;
}

/** More newer cells than this in a piece: the piece is read from its day cells (bounded query size). */
const MAX_NEWER_CELLS = 500;

export interface PiecePlan {
  month: number;
  from: string;
  to: string;
  /** The condition on rollup_app_months of the month rows read (null: none; all from day cells). */
  monthRows: string | null;
  /**
   * Whether day cells are read: always without month rows; with them, only when a cell has newer
   * contributions or a month row lies partly outside the piece.
   */
  readDays: boolean;
  /** With month rows: the day cells read leave out the month rows' cells (a PREWHERE condition). */
  notMonthRows: string | undefined;
  /** The usable compaction and the cells with newer contributions in the piece (their values). */
  compaction: MonthCompaction | undefined;
  newer: string[][];
}

/** A cell's columns as an SQL tuple (one column: the column alone). */
export const cellTuple = (columns: readonly string[]): string =>
  columns.length === 1 ? columns[0]! : `(${columns.join(', ')})`;

/** SQL: the cells' values as a list for IN. */
export const cellValues = (cells: readonly string[][]): string =>
  cells
    .map((values) => (values.length === 1 ? sqlString(values[0]!) : `(${values.map(sqlString).join(', ')})`))
    .join(', ');

interface PieceFacts {
  complete: Set<number>;
  partial: Set<number>;
  newer: Map<number, string[][]>;
}

async function pieceFacts(
  ch: ClickHouseClient,
  level: RollupLevel,
  w: UsageWindow,
  pieces: { month: number; from: string; to: string; compaction: MonthCompaction }[],
  where: string | undefined,
): Promise<PieceFacts> {
  const facts: PieceFacts = { complete: new Set(), partial: new Set(), newer: new Map() };
  if (pieces.length === 0) return facts;
  const cell = MONTH_CELL[level];
  const cellColumns = cell.map((c, i) => `toString(${c}) AS c${i}`).join(', ');
  const blanks = cell.map((_, i) => `'' AS c${i}`).join(', ');
  const extra = where === undefined ? '' : ` AND (${where})`;
  // Aliases differ from the columns: ClickHouse applies a SELECT alias in WHERE too.
  const rows = await queryRows<Record<string, string> & { piece_month: string; kind: string }>(
    ch,
    pieces
      .flatMap((p) => {
        const month = sqlNumber(p.month);
        const generation = sqlNumber(BigInt(p.compaction.generation));
        const head = (kind: string) => `SELECT toString(${month}) AS piece_month, '${kind}' AS kind`;
        return [
          `${head('marker')}, ${blanks} FROM ${MONTHS_TABLE}
           WHERE level = '' AND month = ${month} AND generation = ${generation} LIMIT 1`,
          `${head('partial')}, ${blanks} FROM ${MONTHS_TABLE}
           WHERE month = ${month} AND generation = ${generation} AND level = ${sqlString(level)}
             AND district_id = ${sqlString(w.districtId)}${extra}
             AND (first_day < ${sqlDate(p.from)} OR last_day > ${sqlDate(p.to)}) LIMIT 1`,
          `SELECT DISTINCT toString(${month}) AS piece_month, 'newer' AS kind, ${cellColumns}
           FROM ${ROLLUP_LEVELS[level].parts} PREWHERE range_start >= ${markOf(p.compaction.marks)}
           WHERE district_id = ${sqlString(w.districtId)} AND local_date BETWEEN ${sqlDate(p.from)} AND ${sqlDate(p.to)}${extra}`,
        ];
      })
      .join('\n UNION ALL '),
  );
  for (const r of rows) {
    const month = Number(r.piece_month);
    if (r.kind === 'marker') facts.complete.add(month);
    else if (r.kind === 'partial') facts.partial.add(month);
    else facts.newer.set(month, [...(facts.newer.get(month) ?? []), cell.map((_, i) => r[`c${i}`] ?? '')]);
  }
  return facts;
}

/** The plan of every month piece of the window (none when from > to). */
export async function planUsage(
  ch: ClickHouseClient,
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  where: string | undefined,
): Promise<PiecePlan[]> {
  const pieces =
    w.from > w.to ? [] : monthPieces(w.from, w.to).map((p) => ({ ...p, compaction: state.months.get(p.month) }));
  const compacted = pieces.flatMap((p) => (p.compaction === undefined ? [] : [{ ...p, compaction: p.compaction }]));
  const facts = await pieceFacts(ch, level, w, compacted, where);
  const cell = MONTH_CELL[level];
  return pieces.map((p) => {
    const newer = facts.newer.get(p.month) ?? [];
    const base = { month: p.month, from: p.from, to: p.to, compaction: p.compaction, newer };
    if (p.compaction === undefined || !facts.complete.has(p.month) || newer.length > MAX_NEWER_CELLS) {
      return { ...base, monthRows: null, readDays: true, notMonthRows: undefined };
    }
    const monthRows =
      `month = ${sqlNumber(p.month)} AND generation = ${sqlNumber(BigInt(p.compaction.generation))}` +
      ` AND level = ${sqlString(level)} AND district_id = ${sqlString(w.districtId)}` +
      ` AND first_day >= ${sqlDate(p.from)} AND last_day <= ${sqlDate(p.to)}` +
      (newer.length === 0 ? '' : ` AND ${cellTuple(cell)} NOT IN (${cellValues(newer)})`) +
      (where === undefined ? '' : ` AND (${where})`);
    return {
      ...base,
      monthRows,
      readDays: newer.length > 0 || facts.partial.has(p.month),
      notMonthRows: `${cellTuple(cell)} NOT IN (SELECT ${cell.join(', ')} FROM ${MONTHS_TABLE} WHERE ${monthRows})`,
    };
  });
}
