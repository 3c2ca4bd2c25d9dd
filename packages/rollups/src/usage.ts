/**
 * Usage per cell without day and role (an app, a school × app, a class × app) over a window: the
 * measures every usage report shows (docs/ARCHITECTURE.md "Metric rules"), read from the month grain
 * where it may be used and from the day cells elsewhere (the plan: usage-plan.ts), with the distinct
 * people of a run of months read as a stored count or state where one is usable (month-runs.ts).
 * Each cell-month is read one way: from its month row (plus its newer contributions on the planned
 * newer days) or from its day cells, never both: the month rows chosen and the day cells left out are
 * the same condition.
 */
import { queryArrays, queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { MONTH_CELL, MONTHS_TABLE, type RollupLevel, type StateColumn } from './levels';
import { addPersonMinutes, groupKey } from './minutes';
import { MAX_RUN, RUN_LEVELS, runCounts, runStatePeople, usableRuns, type RunLevel } from './month-runs';
import { monthPieces } from './months';
import { compactedRows, newerRows, rollupRows } from './read';
import type { CompactionState } from './state';
import { cellTuple, cellValues, monthRowsOf, planUsage, type PiecePlan, type UsageWindow } from './usage-plan';

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
  /** Month rows read for the cell (0: all from day cells). */
  month_rows: number;
  /** Newer contributions read beside the cell's month rows (usage-plan.ts `besideMonthRows`). */
  newer_beside_month_rows: number;
  /** Whether its people came from its run row: the stored count, or the run state with newer contributions. */
  run_count: boolean;
}

/**
 * Up to this many cells with newer contributions (and NAMED_NEWER_CHARS of their names), the others'
 * people are the run rows' counts and only these cells' run states and newer contributions are read
 * (the queries name them, up to 5 times a month); beyond, every cell's.
 */
const NAMED_NEWER = 100;
const NAMED_NEWER_CHARS = 3 * 1024;

/**
 * The people query names the cells without a run count (in each piece's reads) while the query stays
 * within this size; beyond it, all cells are merged (ClickHouse parses at most 256 KiB of query).
 */
const QUERY_SIZE_BUDGET = 192 * 1024;

/** A read's row: the cell's columns, then its figures (numbers: queryArrays' `numbers`). */
type Row = (string | number)[];

/** The cell's columns of a read's row: school_id, class_id and app_id are String columns, so JSON strings. */
const cellOf = (r: Row, width: number) => r.slice(0, width) as string[];

/**
 * The figures after the cell's columns in a read's row, in this order: events, explicit seconds,
 * active days, minutes of the month rows, month rows, newer contributions beside them, people (a
 * `both` read, or a one-month read).
 */
function figuresAt(r: Row, width: number) {
  const n = (i: number) => Number(r[width + i]);
  return { events: n(0), seconds: n(1), days: n(2), minutes: n(3), monthRows: n(4), beside: n(5), people: n(6) };
}

/** What a read takes of each row: the summed measures, the people states, or both. */
type Measures = 'sums' | 'people' | 'both';

/** Two optional cell conditions as one (undefined: none). */
function both(read: { cells?: string; newerCells?: string }): string | undefined {
  const all = [read.cells, read.newerCells].filter((c): c is string => c !== undefined);
  return all.length === 0 ? undefined : all.join(' AND ');
}

/** SQL: a piece's newer contributions read beside its month rows (`besideMonthRows`; `cells`: more). */
function newerOfMonthRows(
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  p: PiecePlan,
  o: { columns: readonly StateColumn[]; where?: string; cells?: string },
): string {
  const cellFilter = both({ cells: p.besideMonthRows, newerCells: o.cells });
  return newerRows(state, level, { ...w, from: p.from, to: p.to }, { columns: o.columns, where: o.where, cellFilter });
}

/**
 * SQL: one piece's rows of a read, month rows and day cells in one shape (month_row 1: a month row; 0:
 * a day cell of a cell without month row; 2: a newer contribution of a month-row cell, whose days and
 * minutes come from newerDayCorrections). `cells` (a condition on the cell) narrows the read to some
 * cells before their states are read. A `sums` read leaves the month_row 2 rows out: newerDayCorrections
 * reads those rows anyway and returns their sums.
 */
function pieceRows(
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  p: PiecePlan,
  read: { measures: Measures; where?: string; cells?: string; newerCells?: string },
): string[] {
  const cell = MONTH_CELL[level].join(', ');
  const sums = read.measures !== 'people';
  const people = read.measures !== 'sums' ? ', active_users' : '';
  const filter = [p.notMonthRows, read.cells].filter((c): c is string => c !== undefined).join(' AND ');
  const dayRows = rollupRows(
    state,
    level,
    { ...w, from: p.from, to: p.to },
    {
      columns: [
        ...(sums ? (['events', 'explicit_seconds'] as const) : []),
        ...(people === '' ? [] : (['active_users'] as const)),
      ],
      where: read.where,
      cellFilter: filter === '' ? undefined : filter,
    },
  );
  const dayShaped = (rows: string, monthRow: 0 | 2) =>
    `SELECT ${cell}${people}${
      sums
        ? `, finalizeAggregation(events) AS cell_events, finalizeAggregation(explicit_seconds) AS cell_seconds,
         local_date, toUInt8(0) AS month_days, toUInt64(0) AS month_minutes, toUInt8(${monthRow}) AS month_row`
        : ''
    } FROM (${rows}) AS r`;
  const days = dayShaped(dayRows, 0);
  if (p.monthRows === null) return [days];
  // One row per cell: two backfills of one generation at once write its rows twice (equal rows).
  const months = `SELECT ${cell}${people}${
    sums
      ? `, events AS cell_events, explicit_seconds AS cell_seconds, toDate('1970-01-01') AS local_date,
         active_days AS month_days, active_minutes AS month_minutes, toUInt8(1) AS month_row`
      : ''
  } FROM ${MONTHS_TABLE} ${read.cells === undefined ? '' : `PREWHERE level = ${sqlString(level)} AND ${read.cells} `}WHERE ${p.monthRows}
  LIMIT 1 BY ${cell}`;
  const columns: StateColumn[] = [
    ...(sums ? (['events', 'explicit_seconds'] as const) : []),
    ...(people === '' ? [] : (['active_users'] as const)),
  ];
  const newer =
    p.besideMonthRows === undefined || read.measures === 'sums'
      ? []
      : [dayShaped(newerOfMonthRows(state, level, w, p, { columns, where: read.where, cells: both(read) }), 2)];
  return [months, ...(p.readDays ? [days] : []), ...newer];
}

/** What a month-row cell's newer contributions add to its month row's figures (newerDayCorrections). */
interface NewerCorrection {
  minutes: number;
  days: number;
  events: number;
  seconds: number;
  /** How many newer contributions were read. */
  rows: number;
}

/**
 * Per month-row cell with newer contributions (usage-plan.ts `besideMonthRows`): what they add to its month
 * row. Per cell and newer day, the day's distinct person-minutes of the compaction's rows and newer
 * contributions together less those of the compaction's rows alone (the month row holds the latter,
 * summed over its days), and one more active day where the compaction had no event that day; and the
 * newer contributions' events and explicit seconds (the sums read leaves them out: one read of the
 * newer rows instead of two). Only the newer days' rows are read.
 */
async function newerDayCorrections(
  ch: ClickHouseClient,
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  plans: PiecePlan[],
  where: string | undefined,
  newerCells: string | undefined,
): Promise<Map<string, NewerCorrection>> {
  const out = new Map<string, NewerCorrection>();
  const pieces = plans.filter((p) => p.besideMonthRows !== undefined);
  if (pieces.length === 0) return out;
  const cell = MONTH_CELL[level];
  const groups = cell.join(', ');
  const rows = pieces.flatMap((p) => {
    const pieceWindow = { ...w, from: p.from, to: p.to };
    const read = {
      columns: ['events', 'explicit_seconds', 'active_minutes'] as const,
      where,
      cellFilter: both({ cells: p.besideMonthRows, newerCells }),
    };
    return [
      `SELECT ${groups}, local_date, events, explicit_seconds, active_minutes, toUInt8(0) AS newer FROM (${compactedRows(state, level, pieceWindow, read)}) AS c`,
      `SELECT ${groups}, local_date, events, explicit_seconds, active_minutes, toUInt8(1) AS newer FROM (${newerRows(state, level, pieceWindow, read)}) AS n`,
    ];
  });
  const sums = await queryRows<Record<string, string>>(
    ch,
    `SELECT ${groups}, toString(sum(toInt64(after) - toInt64(before))) AS minutes,
            toString(countIf(before_events = 0 AND after_events > 0)) AS days,
            toString(sum(newer_events)) AS events, toString(sum(newer_seconds)) AS seconds,
            toString(sum(newer_rows)) AS rows
     FROM (
       SELECT ${groups}, local_date, uniqExactIfMerge(active_minutes) AS after,
              uniqExactIfMergeIf(active_minutes, newer = 0) AS before,
              sumMerge(events) AS after_events, sumMergeIf(events, newer = 0) AS before_events,
              sumMergeIf(events, newer = 1) AS newer_events, sumMergeIf(explicit_seconds, newer = 1) AS newer_seconds,
              countIf(newer = 1) AS newer_rows
       FROM (${rows.join('\n UNION ALL ')}) AS r
       GROUP BY ${groups}, local_date
       HAVING newer_rows > 0) AS per_day
     GROUP BY ${groups}`,
  );
  const n = (r: Record<string, string>, column: string) => Number(r[column]);
  for (const r of sums) {
    out.set(groupKey(cell.map((c) => r[c])), {
      minutes: n(r, 'minutes'),
      days: n(r, 'days'),
      events: n(r, 'events'),
      seconds: n(r, 'seconds'),
      rows: n(r, 'rows'),
    });
  }
  return out;
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
    const rows = group
      .map((p) =>
        rollupRows(
          state,
          level,
          { ...w, from: p.from, to: p.to },
          { columns: ['active_minutes'], where, cellFilter: p.notMonthRows },
        ),
      )
      .join('\n UNION ALL ');
    await addPersonMinutes(ch, out, rows, cell);
  }
  return out;
}

export interface UsageReadOptions {
  /** More conditions on the cell's columns. */
  where?: string;
  /** How many newer cells are named to read only their run states (default 100; tests use 0 to read all). */
  namedNewer?: number;
}

/**
 * The window's run of months where its stored distinct people may be used: every piece read from
 * month rows (compacted, with its month grain), so the run rows counted from the generations read now
 * hold all of the compactions. Null for one month (its month rows are the count), more than MAX_RUN
 * months (none counted) or the class level. `usable` is the condition on the runs table.
 */
function runPlan(
  level: RollupLevel,
  w: UsageWindow,
  plans: PiecePlan[],
  where: string | undefined,
): { level: RunLevel; usable: string } | null {
  if (
    !(RUN_LEVELS as readonly string[]).includes(level) ||
    plans.length < 2 ||
    plans.length > MAX_RUN ||
    plans.some((p) => p.monthRows === null)
  ) {
    return null;
  }
  const generations = plans.map((p) => p.compaction!.generation);
  return { level: level as RunLevel, usable: usableRuns(level as RunLevel, w, generations, where) };
}

/**
 * The condition naming the window's newer cells when a run plan reads only their run states (few and
 * short enough: NAMED_NEWER), else undefined (every cell's state is read).
 */
function namedNewerCells(level: RollupLevel, plans: PiecePlan[], limit: number): string | undefined {
  const newer = [...new Map(plans.flatMap((p) => p.newer).map((v) => [groupKey(v), v])).values()];
  if (newer.length === 0 || newer.length > limit) return undefined;
  const values = cellValues(newer);
  return values.length > NAMED_NEWER_CHARS ? undefined : `${cellTuple(MONTH_CELL[level])} IN (${values})`;
}

/**
 * People per cell from the run rows (`run`: runPlan): the stored counts while no cell has a newer
 * contribution; otherwise the newer cells' run states (`named`, or every cell's) united with the newer
 * contributions the other statements read (a month-row cell's on the planned newer days, as the
 * corrections; a day-cell cell's on any day, as the sums), and the others' counts. A cell it leaves
 * out (no usable run row, or none with a state) is merged from its month rows and day cells by the
 * caller.
 */
async function runPeople(
  ch: ClickHouseClient,
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  plans: PiecePlan[],
  run: { level: RunLevel; usable: string },
  o: { where?: string; named: string | undefined },
): Promise<Map<string, number>> {
  if (!plans.some((p) => p.newer.length > 0)) return runCounts(ch, run.level, run.usable);
  const { where, named } = o;
  const school = level === 'school' ? 'school_id' : "'' AS school_id";
  const people = (rows: string) => `SELECT ${school}, app_id, active_users FROM (${rows}) AS c`;
  const newerSql = plans.flatMap((p) => [
    ...(p.besideMonthRows === undefined
      ? []
      : [people(newerOfMonthRows(state, level, w, p, { columns: ['active_users'], where, cells: named }))]),
    ...(p.readDays
      ? [
          people(
            newerRows(
              state,
              level,
              { ...w, from: p.from, to: p.to },
              { columns: ['active_users'], where, cellFilter: both({ cells: p.notMonthRows, newerCells: named }) },
            ),
          ),
        ]
      : []),
  ]);
  const [counts, united] = await Promise.all([
    named === undefined ? new Map<string, number>() : runCounts(ch, run.level, `${run.usable} AND NOT (${named})`),
    runStatePeople(ch, run.level, run.usable, newerSql, named),
  ]);
  for (const [key, n] of united) counts.set(key, n);
  return counts;
}

/**
 * SQL: one month read from its month rows alone (`monthRows`): their stored figures and people counts,
 * one row a cell with the columns named in {@link MonthRowsAlone}.
 */
const monthRowsRead = (level: RollupLevel, monthRows: string) => {
  const groupBy = MONTH_CELL[level].join(', ');
  return `SELECT ${groupBy}, events, explicit_seconds, active_days, active_minutes, 1 AS month_rows,
              0 AS newer_beside_month_rows, people FROM ${MONTHS_TABLE}
       WHERE ${monthRows} LIMIT 1 BY ${groupBy}`;
};

/**
 * How a caller reads a window that one month's rows answer alone (the common read of a compacted
 * month): `sql` selects one row a cell with the cell's columns (MONTH_CELL of the level), then
 * `events`, `explicit_seconds`, `active_days`, `active_minutes`, `month_rows` (1), and `people` (the
 * cell's distinct people), in no particular order. A caller may wrap it (name, compute, order) and
 * read the result as it likes: the API reads a month of class × app as ClickHouse's JSON text instead
 * of building 45,000 objects twice.
 */
export type MonthRowsAlone<T> = (sql: string) => Promise<T>;

/** A usage read: the caller's read of the month rows when they answer the window alone, else the cells. */
export type UsageRead<T> = { from: 'month-rows'; value: T } | { from: 'cells'; cells: UsageMeasures[] };

/** The default month-rows read: the cells as usageByCell returns them. */
const monthRowsAsCells =
  (ch: ClickHouseClient, level: RollupLevel): MonthRowsAlone<UsageMeasures[]> =>
  async (sql) => {
    const width = MONTH_CELL[level].length;
    const rows = await queryArrays<Row>(ch, sql, { numbers: true });
    return rows.map((r) => {
      const f = figuresAt(r, width);
      return {
        cell: cellOf(r, width),
        active_users: f.people,
        events: f.events,
        explicit_seconds: f.seconds,
        active_minutes: f.minutes,
        active_days: f.days,
        month_rows: f.monthRows,
        newer_beside_month_rows: 0,
        run_count: false,
      };
    });
  };

/**
 * A window within one compacted month older than the newest compacted one is nearly always read from
 * its month rows alone (no newer contributions: late events are rare), so that read starts beside the
 * plan instead of after it (a month of class × app: ~20 ms). The plan still decides: the caller uses
 * the early rows only when it plans exactly this read, else drops them.
 */
function earlyMonthRowsRead<T>(
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  where: string | undefined,
  read: MonthRowsAlone<T>,
): { monthRows: string; value: Promise<T> } | undefined {
  const pieces = w.from > w.to ? [] : monthPieces(w.from, w.to);
  if (pieces.length !== 1) return undefined;
  const piece = pieces[0]!;
  const compaction = state.months.get(piece.month);
  if (compaction === undefined || piece.month >= Math.max(...state.months.keys())) return undefined;
  const monthRows = monthRowsOf(level, w.districtId, { ...piece, compaction }, where);
  const value = read(monthRowsRead(level, monthRows));
  value.catch(() => undefined); // dropped when the plan reads otherwise; else awaited (and thrown) below
  return { monthRows, value };
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
  o: UsageReadOptions = {},
): Promise<UsageMeasures[]> {
  const read = await usageRead(ch, state, level, w, o, monthRowsAsCells(ch, level));
  return read.from === 'cells' ? read.cells : read.value;
}

/**
 * usageByCell, except that a window one month's rows answer alone is read by `monthRowsAlone` (see
 * {@link MonthRowsAlone}); its result is then the caller's, else the cells.
 */
export async function usageRead<T>(
  ch: ClickHouseClient,
  state: CompactionState,
  level: RollupLevel,
  w: UsageWindow,
  o: UsageReadOptions,
  monthRowsAlone: MonthRowsAlone<T>,
): Promise<UsageRead<T>> {
  const early = earlyMonthRowsRead(state, level, w, o.where, monthRowsAlone);
  const plans = await planUsage(ch, state, level, w, o.where);
  if (plans.length === 0) return { from: 'cells', cells: [] };
  const cell = MONTH_CELL[level];
  const groupBy = cell.join(', ');
  const run = runPlan(level, w, plans, o.where);
  // With a run plan and few newer cells, only those cells' newer contributions are read beside their
  // month rows (a month-row cell that gets its first ones after the plan keeps its count and its month
  // row's figures; docs/ARCHITECTURE.md "While folds land during a read").
  const named = run === null ? undefined : namedNewerCells(level, plans, o.namedNewer ?? NAMED_NEWER);
  const readSql = (measures: Measures, cells?: string) => {
    const union = plans.flatMap((p) =>
      pieceRows(state, level, w, p, { measures, where: o.where, cells, newerCells: named }),
    );
    const sums =
      measures === 'people'
        ? []
        : [
            'sum(cell_events)',
            'sum(cell_seconds)',
            'sum(month_days) + uniqExactIf(local_date, month_row = 0 AND cell_events > 0)',
            'sum(month_minutes)',
            'countIf(month_row = 1)',
            'countIf(month_row = 2)',
          ];
    const people = measures === 'sums' ? [] : ['uniqExactMerge(active_users)'];
    return `SELECT ${groupBy}, ${[...sums, ...people].join(', ')} FROM (${union.join('\n UNION ALL ')}) AS u
       GROUP BY ${groupBy}${measures === 'people' ? '' : ' HAVING sum(cell_events) > 0'}`;
  };
  // Arrays, not objects: a month of class × app is 45,000 rows.
  const read = (sql: string) => queryArrays<Row>(ch, sql, { numbers: true });
  const width = cell.length;
  const [first] = plans;
  const only =
    plans.length === 1 && first!.monthRows !== null && !first!.readDays && first!.besideMonthRows === undefined
      ? first
      : undefined;
  if (only !== undefined) {
    // One month read from month rows alone: their stored figures, people counted (no state read).
    const value = await (early?.monthRows === only.monthRows
      ? early.value
      : monthRowsAlone(monthRowsRead(level, only.monthRows!)));
    return { from: 'month-rows', value };
  }
  // Without run rows, one read of everything. With them, the sums first; then the people of the cells
  // they leave out (none, usually), so the month states of the cells with run rows are never read.
  // A sums read leaves the newer contributions beside month rows to the corrections (pieceRows).
  const measures: Measures = run === null ? 'both' : 'sums';
  const [runs, rows, minutes, corrections] = await Promise.all([
    run === null ? new Map<string, number>() : runPeople(ch, state, level, w, plans, run, { where: o.where, named }),
    read(readSql(measures)),
    dayCellMinutes(ch, state, level, w, plans, o.where),
    newerDayCorrections(ch, state, level, w, plans, o.where, named),
  ]);
  // People merged in a second read (cells without a run count), by cell key.
  const merged = new Map<string, number>();
  if (run !== null) {
    const missing = rows.map((r) => cellOf(r, width)).filter((values) => !runs.has(groupKey(values)));
    if (missing.length > 0) {
      const missingSql = readSql('people', `${cellTuple(cell)} IN (${cellValues(missing)})`);
      const sql = missingSql.length <= QUERY_SIZE_BUDGET ? missingSql : readSql('people');
      for (const r of await read(sql)) merged.set(groupKey(cellOf(r, width)), Number(r[width]));
    }
  }
  // Keys only where a map is looked up: a month of class × app is 45,000 rows.
  const keyed = runs.size > 0 || merged.size > 0 || minutes.size > 0 || corrections.size > 0;
  const cells = rows.map((r) => {
    const values = cellOf(r, width);
    const key = keyed ? groupKey(values) : '';
    const counted = keyed ? runs.get(key) : undefined;
    const f = figuresAt(r, width);
    const correction = keyed ? corrections.get(key) : undefined;
    const newer = measures === 'sums' ? correction : undefined;
    return {
      cell: values,
      active_users: counted ?? (run === null ? f.people : (merged.get(key) ?? 0)),
      events: f.events + (newer?.events ?? 0),
      explicit_seconds: f.seconds + (newer?.seconds ?? 0),
      active_minutes: f.minutes + (keyed ? (minutes.get(key) ?? 0) : 0) + (correction?.minutes ?? 0),
      active_days: f.days + (correction?.days ?? 0),
      month_rows: f.monthRows,
      newer_beside_month_rows: f.beside + (newer?.rows ?? 0),
      run_count: counted !== undefined,
    };
  });
  return { from: 'cells', cells };
}
