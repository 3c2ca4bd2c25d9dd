/**
 * Rollup compaction (docs/ARCHITECTURE.md "Rollup compaction"): per month, every contribution of a
 * final range (start below its topic-partition's watermark) merged into one row per cell, as a new
 * generation beside the previous one, then recorded; readers switch to it with that one row.
 *
 * Incremental: the new generation = the previous usable one's cells + the contributions between its
 * marks and the current watermarks. After an invalidation (a re-fold) there is no usable previous one
 * and the month is merged from all its contributions again.
 *
 * Crash-safe without locks: a generation's rows are invisible until its row in COMPACTIONS_TABLE is
 * written (one INSERT; its counts and month grain until their marker rows: counts.ts, month-grain.ts),
 * a run that dies leaves an unrecorded generation that a later run drops, and two runs at once each record a complete
 * generation (readers take the newest). Only generations older than the two newest recorded ones, and
 * superseded longer than a grace ago, are dropped, so a reader that picked one a moment ago (a
 * dashboard page builds from one read of the state) still finds its rows after two quick runs. Each run
 * records a check of the compaction it wrote or found complete (CHECKS_TABLE): until when readers may
 * say it held everything final.
 */
import { command, queryRows, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { ALL_LEVELS, MERGE_STATE, MONTHS_TABLE, ROLLUP_LEVELS, STATE_COLUMNS, type RollupLevel } from './levels';
import { COUNTS_TABLE, hasCounts, writeCounts } from './counts';
import { markOf } from './marks';
import { hasMonthGrain, writeMonthGrain } from './month-grain';
import { RUNS_TABLE } from './month-runs';
import { firstDayOf, lastDayOf } from './months';
import {
  CHECKS_TABLE,
  COMPACTIONS_TABLE,
  invalidationCount,
  readCompactionState,
  type CompactionMark,
  type MonthCompaction,
} from './state';

export interface MonthCompactionResult {
  month: number;
  /** The generation written, or null when nothing new was final since the last one. */
  generation: string | null;
  /** Contribution rows merged from the parts tables, per level. */
  contributions: Record<RollupLevel, number>;
  /** Cells in the new generation, per level. */
  cells: Record<RollupLevel, number>;
  /** Whether it started from the previous generation (false: from all contributions). */
  incremental: boolean;
  ms: number;
}

export interface CompactOptions {
  /** Only these months (YYYYMM); by default every month the rollups hold. */
  months?: readonly number[];
  /** Called after each month (progress). */
  onMonth?: (r: MonthCompactionResult) => void;
  /**
   * An old generation is kept this long after a newer one was recorded (readers that read the state
   * before it may still read it); default SUPERSEDED_GRACE_SECONDS. Tests that count drops pass 0.
   */
  supersededGraceSeconds?: number;
}

/** How long a superseded generation stays readable: far longer than any read. */
export const SUPERSEDED_GRACE_SECONDS = 600;

const perLevel = (n = 0): Record<RollupLevel, number> => ({ district: n, school: n, class: n });

/** The current watermark of every topic-partition: contributions below it are final. */
async function currentMarks(ch: ClickHouseClient): Promise<CompactionMark[]> {
  const rows = await queryRows<{ topic: string; partition: number | string; offset: string }>(
    ch,
    `SELECT kafka_topic AS topic, kafka_partition AS partition, toString(max(derived_to)) AS offset
     FROM rollup_watermarks GROUP BY kafka_topic, kafka_partition ORDER BY topic, partition`,
  );
  return rows.map((r) => ({ topic: r.topic, partition: Number(r.partition), offset: r.offset }));
}

/** Months (YYYYMM) that hold contributions at any level, from the parts tables' partitions. */
export async function monthsWithRollups(ch: ClickHouseClient): Promise<number[]> {
  const tables = ALL_LEVELS.map((l) => sqlString(ROLLUP_LEVELS[l].parts)).join(', ');
  const rows = await queryRows<{ month: string }>(
    ch,
    `SELECT DISTINCT partition AS month FROM system.parts
     WHERE database = currentDatabase() AND table IN (${tables}) AND active
     ORDER BY month`,
  );
  return rows.map((r) => Number(r.month.replace(/'/g, '')));
}

/**
 * SQL conditions: a contribution row of the month between the previous marks and the new ones. The
 * range part goes in PREWHERE (so only those rows' states are read, also under FINAL: range_start is
 * part of the replacing key).
 */
function newFinalRanges(
  month: number,
  previous: MonthCompaction | undefined,
  marks: CompactionMark[],
): { prewhere: string; where: string } {
  return {
    prewhere: `range_start >= ${markOf(previous?.marks ?? [])} AND range_start < ${markOf(marks)}`,
    where: `local_date BETWEEN toDate('${firstDayOf(month)}') AND toDate('${lastDayOf(month)}')`,
  };
}

type Ranges = ReturnType<typeof newFinalRanges>;

async function countContributions(ch: ClickHouseClient, level: RollupLevel, ranges: Ranges): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    ch,
    `SELECT toString(count()) AS n FROM ${ROLLUP_LEVELS[level].parts} PREWHERE ${ranges.prewhere} WHERE ${ranges.where}`,
  );
  return Number(row?.n ?? 0);
}

/** Writes one level's cells of the month as `generation`: the previous generation's cells + the new ranges. */
async function writeGeneration(
  ch: ClickHouseClient,
  level: RollupLevel,
  month: number,
  generation: bigint,
  previous: MonthCompaction | undefined,
  ranges: Ranges,
): Promise<void> {
  const spec = ROLLUP_LEVELS[level];
  const states = STATE_COLUMNS.join(', ');
  const merged = STATE_COLUMNS.map((c) => `${MERGE_STATE[c]}(${c}) AS ${c}`).join(', ');
  const sources = [
    ...(previous === undefined
      ? []
      : [
          `SELECT ${spec.keys}, ${states} FROM ${spec.compact}
           WHERE generation = ${sqlNumber(BigInt(previous.generation))} AND toYYYYMM(local_date) = ${sqlNumber(month)}`,
        ]),
    `SELECT ${spec.keys}, ${states} FROM ${spec.parts} FINAL PREWHERE ${ranges.prewhere} WHERE ${ranges.where}`,
  ];
  await command(
    ch,
    `INSERT INTO ${spec.compact} (${spec.keys}, generation, ${states})
     SELECT ${spec.keys}, toUInt64(${sqlNumber(generation)}), ${merged}
     FROM (${sources.join('\n UNION ALL ')}) AS contributions
     GROUP BY ${spec.keys}`,
  );
}

async function cellCount(ch: ClickHouseClient, level: RollupLevel, month: number, generation: bigint): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    ch,
    `SELECT toString(count()) AS n FROM ${ROLLUP_LEVELS[level].compact}
     WHERE generation = ${sqlNumber(generation)} AND toYYYYMM(local_date) = ${sqlNumber(month)}`,
  );
  return Number(row?.n ?? 0);
}

/**
 * That the month's compaction `generation` held everything final at `checkedAt` (taken before the
 * run's marks): recorded by the run that wrote it, and by each later run that found nothing new.
 */
async function recordCheck(ch: ClickHouseClient, month: number, generation: string, checkedAt: string): Promise<void> {
  await command(
    ch,
    `INSERT INTO ${CHECKS_TABLE} (month, generation, checked_at)
     VALUES (${sqlNumber(month)}, ${sqlNumber(BigInt(generation))}, toDateTime(${sqlString(checkedAt)}, 'UTC'))`,
  );
}

/** The server's clock, 'YYYY-MM-DD hh:mm:ss' UTC (what compacted_at and checked_at are in). */
async function serverNow(ch: ClickHouseClient): Promise<string> {
  const [row] = await queryRows<{ now: string }>(ch, "SELECT toString(now(), 'UTC') AS now");
  return row!.now;
}

async function record(
  ch: ClickHouseClient,
  month: number,
  generation: bigint,
  invalidations: string,
  marks: CompactionMark[],
): Promise<void> {
  await command(
    ch,
    `INSERT INTO ${COMPACTIONS_TABLE} (month, generation, invalidations, mark_topics, mark_partitions, mark_offsets, compacted_at)
     VALUES (${sqlNumber(month)}, ${sqlNumber(generation)}, ${sqlNumber(BigInt(invalidations))},
       [${marks.map((m) => sqlString(m.topic)).join(', ')}],
       [${marks.map((m) => `toUInt32(${sqlNumber(m.partition)})`).join(', ')}],
       [${marks.map((m) => `toUInt64(${sqlNumber(BigInt(m.offset))})`).join(', ')}], now())`,
  );
}

/** A recorded generation of a month: the re-folds it saw when it started, and seconds since recorded. */
export interface RecordedGeneration {
  generation: bigint;
  invalidations: bigint;
  recordedSecondsAgo: number;
}

/**
 * The oldest generation to keep (undefined: keep all): the two newest recorded, and every other one a
 * reader may still hold. A reader leaves a generation for a newer one that is at least as valid
 * (saw at least as many re-folds: one that started before a re-fold may be numbered after one that
 * started after it, and readers never take it); it is superseded since the first such was recorded,
 * and kept until `graceSeconds` after that. The drop is of everything older than the oldest kept.
 */
export function oldestKeptGeneration(
  recorded: readonly RecordedGeneration[],
  graceSeconds: number,
): bigint | undefined {
  const newestFirst = [...recorded].sort((a, b) => (a.generation < b.generation ? 1 : -1));
  if (newestFirst.length < 2) return undefined;
  let oldest = newestFirst[1]!.generation;
  newestFirst.forEach((g, i) => {
    if (i < 2) return;
    const superseding = newestFirst.slice(0, i).filter((n) => n.invalidations >= g.invalidations);
    const supersededAgo = Math.max(...superseding.map((n) => n.recordedSecondsAgo));
    if (superseding.length === 0 || supersededAgo < graceSeconds) oldest = g.generation;
  });
  return oldest;
}

/**
 * Drops the month's generations (cells, counts, month rows, runs and checks) older than the oldest
 * one to keep (oldestKeptGeneration), recorded or not (runs that died). A newer unrecorded generation
 * may be a run in progress and is kept.
 */
async function dropOldGenerations(ch: ClickHouseClient, month: number, graceSeconds: number): Promise<void> {
  // With the seconds since each was recorded (the server's clock, as compacted_at).
  const rows = await queryRows<{ g: string; inv: string; age: string }>(
    ch,
    `SELECT toString(generation) AS g, toString(max(invalidations)) AS inv,
            toString(toInt64(now()) - toInt64(max(compacted_at))) AS age
     FROM ${COMPACTIONS_TABLE} WHERE month = ${sqlNumber(month)} GROUP BY generation`,
  );
  const keepFrom = oldestKeptGeneration(
    rows.map((r) => ({ generation: BigInt(r.g), invalidations: BigInt(r.inv), recordedSecondsAgo: Number(r.age) })),
    graceSeconds,
  );
  if (keepFrom === undefined) return;
  const tables = [
    ...ALL_LEVELS.map((level) => ({ table: ROLLUP_LEVELS[level].compact, month: 'toYYYYMM(local_date)' })),
    { table: COUNTS_TABLE, month: 'month' },
    { table: MONTHS_TABLE, month: 'month' },
    { table: RUNS_TABLE, month: 'month' },
    { table: CHECKS_TABLE, month: 'month' },
  ];
  for (const { table, month: monthColumn } of tables) {
    const old = await queryRows<{ g: string }>(
      ch,
      `SELECT DISTINCT toString(generation) AS g FROM ${table}
       WHERE ${monthColumn} = ${sqlNumber(month)} AND generation < ${sqlNumber(keepFrom)}`,
    );
    for (const { g } of old) {
      await command(ch, `ALTER TABLE ${table} DROP PARTITION (${sqlNumber(month)}, ${sqlNumber(BigInt(g))})`);
    }
  }
}

/**
 * A new generation number from the ClickHouse server's clock (seconds × 10^6, plus a random part so
 * two runs started at once do not share one): jobs processes on machines with skewed clocks still
 * number their runs in the order the server saw them start, which readers (the newest usable) and the
 * drop rule (older than the two newest recorded) rely on. Never below a generation already written or
 * recorded: within one second the random part alone would order two runs at random (a quick second
 * run could number below the one it supersedes).
 */
async function nextGeneration(ch: ClickHouseClient): Promise<bigint> {
  const written = [COMPACTIONS_TABLE, ...ALL_LEVELS.map((level) => ROLLUP_LEVELS[level].compact)]
    .map((table) => `SELECT max(generation) AS m FROM ${table}`)
    .join(' UNION ALL ');
  const [row] = await queryRows<{ g: string }>(
    ch,
    `SELECT toString(greatest(toUInt64(toUnixTimestamp(now())) * 1000000, (SELECT max(m) FROM (${written})) + 1)
                     + rand() % 1000000) AS g`,
  );
  return BigInt(row!.g);
}

/** Compacts one month (see the file comment); null generation when there was nothing new. */
export async function compactMonth(
  ch: ClickHouseClient,
  month: number,
  graceSeconds = SUPERSEDED_GRACE_SECONDS,
): Promise<MonthCompactionResult> {
  const started = Date.now();
  // Order matters: the invalidation count before anything is read, so a re-fold that runs during
  // this compaction makes it unusable.
  const invalidations = await invalidationCount(ch);
  // Before the marks: a check says the compaction held everything final at this time.
  const checkedAt = await serverNow(ch);
  const marks = await currentMarks(ch);
  const state = await readCompactionState(ch);
  const previous = state.months.get(month);
  const ranges = newFinalRanges(month, previous, marks);
  const contributions = perLevel();
  for (const level of ALL_LEVELS) contributions[level] = await countContributions(ch, level, ranges);
  const result = { month, contributions, cells: perLevel(), incremental: previous !== undefined };
  if (ALL_LEVELS.every((l) => contributions[l] === 0)) {
    // Nothing new; a generation made before the counts or the month grain existed gets them now
    // (readers use either only once its marker is written). Nothing is dropped first: rows a dead or concurrent run wrote
    // equal these (the same immutable cells; a crossing week is keyed by the previous month's
    // generation it was made from). Its crossing week is not rewritten when only the previous month
    // changed: readers merge that week's states until this month has something new.
    if (previous !== undefined && !(await hasCounts(ch, month, previous.generation))) {
      await writeCounts(ch, month, BigInt(previous.generation), state);
    }
    if (previous !== undefined && !(await hasMonthGrain(ch, month, previous.generation))) {
      await writeMonthGrain(ch, month, BigInt(previous.generation), state);
    }
    // After the counts and grain: a check is only worth recording for a compaction readers can use.
    // (A slow run whose generation was dropped meanwhile records a check no reader looks for.)
    if (previous !== undefined) await recordCheck(ch, month, previous.generation, checkedAt);
    // Generations kept for their grace when the last runs came quickly go once it has passed.
    await dropOldGenerations(ch, month, graceSeconds);
    return { ...result, generation: null, ms: Date.now() - started };
  }
  const generation = await nextGeneration(ch);
  for (const level of ALL_LEVELS) {
    await writeGeneration(ch, level, month, generation, previous, ranges);
    result.cells[level] = await cellCount(ch, level, month, generation);
  }
  await writeCounts(ch, month, generation, state);
  await writeMonthGrain(ch, month, generation, state);
  await record(ch, month, generation, invalidations, marks);
  // Its own check, at the time taken before its marks: what it holds (compacted_at is the run's end).
  await recordCheck(ch, month, generation.toString(), checkedAt);
  await dropOldGenerations(ch, month, graceSeconds);
  return { ...result, generation: generation.toString(), ms: Date.now() - started };
}

/** Compacts every month holding rollups (or the months asked for), one after the other. */
export async function compactRollups(ch: ClickHouseClient, o: CompactOptions = {}): Promise<MonthCompactionResult[]> {
  const months = o.months ?? (await monthsWithRollups(ch));
  const results: MonthCompactionResult[] = [];
  for (const month of months) {
    const r = await compactMonth(ch, month, o.supersededGraceSeconds);
    o.onMonth?.(r);
    results.push(r);
  }
  return results;
}

/** Records that ranges below the marks were folded again: every compaction so far is unusable. */
export async function invalidateCompactions(ch: ClickHouseClient, reason: string): Promise<void> {
  await command(
    ch,
    `INSERT INTO rollup_compaction_invalidations (invalidated_at, reason) VALUES (now(), ${sqlString(reason)})`,
  );
}
