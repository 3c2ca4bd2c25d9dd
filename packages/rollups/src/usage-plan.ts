/**
 * How a usage read (usage.ts) reads each month piece of its window: which cells from their month rows
 * (the month grain), which from their day cells, and whether the day cells need reading at all. It
 * asks (pieceFacts), per compacted piece, for its month grain's marker, the cells and days with
 * contributions newer than its compaction, and whether any month row lies partly outside the piece; the
 * answers are written into the read as values, so its parts agree even while a fold or a compaction lands.
 */
import { queryRows, sqlDate, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { MONTH_CELL, MONTHS_TABLE, ROLLUP_LEVELS, type RollupLevel } from './levels';
import { markOf } from './marks';
import { groupKey } from './minutes';
import { monthPieces } from './months';
import { leavesOutNewer, type CompactionMark, type CompactionState, type MonthCompaction } from './state';

export interface UsageWindow {
  districtId: string;
  from: string;
  to: string;
}

export interface PiecePlan {
  month: number;
  from: string;
  to: string;
  /** The condition on MONTHS_TABLE of the month rows read (null: none; all from day cells). */
  monthRows: string | null;
  /**
   * Whether day cells are read: always without month rows; with them, only when a newer cell has no
   * month row (a cell new in the month) or a month row lies partly outside the piece.
   */
  readDays: boolean;
  /** With month rows: the day cells read leave out the month rows' cells (rollupRows' cellFilter). */
  notMonthRows: string | undefined;
  /**
   * With month rows and newer contributions: the condition on the newer contributions read beside the
   * month rows (usage.ts): a month-row cell's, on the days the plan found newer contributions.
   */
  besideMonthRows: string | undefined;
  /** The usable compaction, and the cells with newer contributions in the piece (their values). */
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
  newerDays: Map<number, Set<string>>;
  /** The months where a newer cell has no month row in the compaction (it is read from its day cells). */
  newerWithoutRow: Set<number>;
}

type Compacted = { month: number; from: string; to: string; compaction: MonthCompaction };

/** SQL: a compacted piece's (month, generation), for an IN over the month grain. */
const generationPair = (p: Compacted) => `(${sqlNumber(p.month)}, ${sqlNumber(BigInt(p.compaction.generation))})`;

/**
 * The marks no compacted month has merged beyond: per topic-partition named by all of them, the
 * lowest offset (a contribution below it is in every month's compaction).
 */
function lowestMarks(pieces: readonly Compacted[]): CompactionMark[] {
  const all = pieces.map((p) => new Map(p.compaction.marks.map((m) => [`${m.topic}:${m.partition}`, m])));
  return [...all[0]!.values()].flatMap((m) => {
    const offsets = all.map((marks) => marks.get(`${m.topic}:${m.partition}`)?.offset);
    if (offsets.some((o) => o === undefined)) return [];
    const lowest = offsets.map((o) => BigInt(o!)).reduce((x, y) => (y < x ? y : x));
    return [{ ...m, offset: lowest.toString() }];
  });
}

/**
 * Facts of the compacted pieces, in at most two queries. First, one query: each month grain's marker,
 * whether a month row lies partly outside the window, and the district rollup's contributions newer
 * than their month's compaction, their cells and days (one scan of the window, their rows found by the
 * lowest marks first; a fold's school and class contributions are on days its district ones are).
 * Then, for a school or class read, the newer cells of that level in the months where the district
 * level has newer contributions: every fold writes the district level first, from the same events,
 * and that rollup is ~1/20 of the school one. Without `readNewer` (a read as of the compactions) no
 * newer contribution is looked for.
 */
async function pieceFacts(
  ch: ClickHouseClient,
  level: RollupLevel,
  w: UsageWindow,
  pieces: readonly Compacted[],
  where: string | undefined,
  readNewer: boolean,
): Promise<PieceFacts> {
  const facts: PieceFacts = {
    complete: new Set(),
    partial: new Set(),
    newer: new Map(),
    newerDays: new Map(),
    newerWithoutRow: new Set(),
  };
  if (pieces.length === 0) return facts;
  const cell = MONTH_CELL[level];
  const cellColumns = cell.map((c, i) => `toString(${c}) AS c${i}`).join(', ');
  const blanks = cell.map((_, i) => `'' AS c${i}`).join(', ');
  const extra = where === undefined ? '' : ` AND (${where})`;
  const district = sqlString(w.districtId);
  const months = pieces.map((p) => sqlNumber(p.month)).join(', ');
  const generations = pieces.map(generationPair);
  // Whether a newer cell has a month row in its month's compaction (1) or not (0). materialize: 18.16
  // folds an IN of an empty set to a constant, which a UNION ALL with a non-constant column refuses.
  const monthRowOf = (month: string, gens: readonly string[]) =>
    `materialize((${month}, ${cell.join(', ')}) IN (SELECT month, ${cell.join(', ')} FROM ${MONTHS_TABLE}
       WHERE (month, generation) IN (${gens.join(', ')}) AND level = ${sqlString(level)} AND district_id = ${district}))`;
  const monthMark = `multiIf(${pieces.map((p) => `toYYYYMM(local_date) = ${sqlNumber(p.month)}, ${markOf(p.compaction.marks)}`).join(', ')}, toUInt64(0))`;
  // Aliases differ from the columns: ClickHouse applies a SELECT alias in WHERE too.
  const rows = await queryRows<
    Record<string, string> & { piece_month: string; kind: string; day: string; has_row: number }
  >(
    ch,
    `SELECT toString(month) AS piece_month, if(level = '', 'marker', 'partial') AS kind, '' AS day, ${blanks},
            materialize(toUInt8(0)) AS has_row
     FROM ${MONTHS_TABLE}
     WHERE (month, generation) IN (${generations.join(', ')})
       AND (level = '' AND district_id = ''
            OR district_id = ${district} AND level = ${sqlString(level)}${extra}
               AND (first_day < ${sqlDate(w.from)} OR last_day > ${sqlDate(w.to)}))
     LIMIT 1 BY piece_month, kind${
       readNewer
         ? `
     UNION ALL
     SELECT DISTINCT toString(toYYYYMM(local_date)) AS piece_month, 'newer' AS kind, toString(local_date) AS day,
            ${level === 'district' ? `${cellColumns}, ${monthRowOf('toYYYYMM(local_date)', generations)}` : `${blanks}, materialize(toUInt8(0))`} AS has_row
     FROM ${ROLLUP_LEVELS.district.parts} PREWHERE range_start >= ${markOf(lowestMarks(pieces))}
     WHERE district_id = ${district} AND local_date BETWEEN ${sqlDate(w.from)} AND ${sqlDate(w.to)}
       AND toYYYYMM(local_date) IN (${months}) AND range_start >= ${monthMark}${level === 'district' ? extra : ''}`
         : ''
     }`,
  );
  // A cell once per piece (the district query has a row per cell and day).
  const seen = new Set<string>();
  const addNewer = (r: Record<string, string> & { piece_month: string; has_row: number }) => {
    const month = Number(r.piece_month);
    if (Number(r.has_row) !== 1) facts.newerWithoutRow.add(month);
    const values = cell.map((_, i) => r[`c${i}`] ?? '');
    const key = `${month}|${groupKey(values)}`;
    if (seen.has(key)) return;
    seen.add(key);
    let list = facts.newer.get(month);
    if (list === undefined) facts.newer.set(month, (list = []));
    list.push(values);
  };
  const newerMonths = new Set<number>();
  for (const r of rows) {
    const month = Number(r.piece_month);
    if (r.kind === 'marker') facts.complete.add(month);
    else if (r.kind === 'partial') facts.partial.add(month);
    else {
      let days = facts.newerDays.get(month);
      if (days === undefined) facts.newerDays.set(month, (days = new Set()));
      days.add(r.day);
      if (level !== 'district') newerMonths.add(month);
      else addNewer(r);
    }
  }
  const look = pieces.filter((p) => newerMonths.has(p.month));
  if (look.length === 0) return facts;
  const cells = await queryRows<Record<string, string> & { piece_month: string; has_row: number }>(
    ch,
    look
      .map(
        (p) =>
          `SELECT DISTINCT toString(${sqlNumber(p.month)}) AS piece_month, ${cellColumns},
                  ${monthRowOf(`toUInt32(${sqlNumber(p.month)})`, [generationPair(p)])} AS has_row
           FROM ${ROLLUP_LEVELS[level].parts} PREWHERE range_start >= ${markOf(p.compaction.marks)}
           WHERE district_id = ${district} AND local_date BETWEEN ${sqlDate(p.from)} AND ${sqlDate(p.to)}${extra}`,
      )
      .join('\n UNION ALL '),
  );
  for (const r of cells) addNewer(r);
  return facts;
}

/** The condition on MONTHS_TABLE of a compacted piece's month rows of the level (`where`: more on the cell). */
export function monthRowsOf(
  level: RollupLevel,
  districtId: string,
  p: { month: number; from: string; to: string; compaction: MonthCompaction },
  where: string | undefined,
): string {
  return (
    `month = ${sqlNumber(p.month)} AND generation = ${sqlNumber(BigInt(p.compaction.generation))}` +
    ` AND level = ${sqlString(level)} AND district_id = ${sqlString(districtId)}` +
    ` AND first_day >= ${sqlDate(p.from)} AND last_day <= ${sqlDate(p.to)}` +
    (where === undefined ? '' : ` AND (${where})`)
  );
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
  const facts = await pieceFacts(ch, level, w, compacted, where, !leavesOutNewer(state));
  const cell = MONTH_CELL[level];
  return pieces.map((p) => {
    const newer = facts.newer.get(p.month) ?? [];
    const newerDays = [...(facts.newerDays.get(p.month) ?? [])].sort();
    const base = { month: p.month, from: p.from, to: p.to, compaction: p.compaction, newer };
    if (p.compaction === undefined || !facts.complete.has(p.month)) {
      return { ...base, monthRows: null, readDays: true, notMonthRows: undefined, besideMonthRows: undefined };
    }
    // A cell's month row is read whether or not it has newer contributions: those are read beside it.
    const monthRows = monthRowsOf(level, w.districtId, { ...p, compaction: p.compaction }, where);
    const monthRowCells = `(SELECT ${cell.join(', ')} FROM ${MONTHS_TABLE} WHERE ${monthRows})`;
    return {
      ...base,
      monthRows,
      readDays: facts.partial.has(p.month) || facts.newerWithoutRow.has(p.month),
      notMonthRows: `${cellTuple(cell)} NOT IN ${monthRowCells}`,
      besideMonthRows:
        newer.length === 0 || newerDays.length === 0
          ? undefined
          : `${cellTuple(cell)} IN ${monthRowCells} AND local_date IN (${newerDays.map(sqlDate).join(', ')})`,
    };
  });
}
