/**
 * The month grain (migration 0009, docs/ARCHITECTURE.md "Rollup month grain"): each compaction writes,
 * from its generation's cells, one row per cell without day and role per month, with the month's usage
 * measures; a usage reader takes a cell's row instead of its days where the row's days lie inside the
 * window and no newer contribution touched the cell there (usage.ts).
 */
import { command, queryRows, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { MONTH_CELL, MONTHS_TABLE, ROLLUP_LEVELS, type RollupLevel } from './levels';
import { writeMonthRuns } from './month-runs';
import type { CompactionState } from './state';

/** The month grain's columns that a level does not have, as constants. */
const ABSENT: Readonly<Record<RollupLevel, string>> = {
  district: "'' AS school_id, '' AS class_id",
  school: "'' AS class_id",
  class: '',
};

/**
 * Writes the month grain of `generation` (whose cells are written), level by level, then the runs of
 * months holding it (month-runs.ts, with the other months' generations usable in `state`), then its
 * marker. Called before the generation is recorded, and for an older generation that has none
 * (hasMonthGrain).
 */
export async function writeMonthGrain(
  ch: ClickHouseClient,
  month: number,
  generation: bigint,
  state: CompactionState,
): Promise<void> {
  const g = sqlNumber(generation);
  for (const level of Object.keys(MONTH_CELL) as RollupLevel[]) {
    const cell = MONTH_CELL[level].join(', ');
    const absent = ABSENT[level] === '' ? '' : `, ${ABSENT[level]}`;
    // Per day first (all roles together): the day's distinct person-minutes; then the month.
    await command(
      ch,
      `INSERT INTO ${MONTHS_TABLE} (month, generation, level, district_id, school_id, class_id, app_id,
         first_day, last_day, active_days, events, explicit_seconds, active_minutes, active_users, people)
       SELECT ${sqlNumber(month)}, ${g}, ${sqlString(level)}, district_id, school_id, class_id, app_id,
              min(local_date), max(local_date), toUInt8(count()), sum(day_events), sum(day_seconds),
              sum(day_minutes), uniqExactMergeState(day_users), uniqExactMerge(day_users)
       FROM (
         SELECT district_id, ${cell}${absent}, local_date,
                sumMerge(events) AS day_events, sumMerge(explicit_seconds) AS day_seconds,
                uniqExactIfMerge(active_minutes) AS day_minutes, uniqExactMergeState(active_users) AS day_users
         FROM ${ROLLUP_LEVELS[level].compact}
         WHERE generation = ${g} AND toYYYYMM(local_date) = ${sqlNumber(month)}
         GROUP BY district_id, ${cell}, local_date
         HAVING day_events > 0)
       GROUP BY district_id, school_id, class_id, app_id`,
    );
  }
  await writeMonthRuns(ch, month, generation, state);
  // The marker: a level of '' (its active_users left out: an empty state).
  await command(
    ch,
    `INSERT INTO ${MONTHS_TABLE} (month, generation, level, district_id, school_id, class_id, app_id,
       first_day, last_day, active_days, events, explicit_seconds, active_minutes)
     VALUES (${sqlNumber(month)}, ${g}, '', '', '', '', '', '1970-01-01', '1970-01-01', 0, 0, 0, 0)`,
  );
}

/** Whether the month's generation has its month grain (its marker): not one made before migration 0009. */
export async function hasMonthGrain(ch: ClickHouseClient, month: number, generation: string): Promise<boolean> {
  const rows = await queryRows<{ n: string }>(
    ch,
    `SELECT toString(count()) AS n FROM ${MONTHS_TABLE}
     WHERE level = '' AND month = ${sqlNumber(month)} AND generation = ${sqlNumber(BigInt(generation))}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}
