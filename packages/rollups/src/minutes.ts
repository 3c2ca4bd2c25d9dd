/**
 * Distinct person-minutes (the `active_minutes` measure: engaged seconds = explicit seconds + 60 × these)
 * per group over a window, read a month at a time. Merging a year of person-minute states in one query
 * needs more than ClickHouse's per-query memory for a large district (a term of a 50,000-student
 * district failed at 2 GB, docs/BENCHMARKS.md "Year of a large district"); a month at a time it does not.
 * Exact: a UTC minute lies in one district-local day, so no person-minute is in two days (nor two
 * months): the per-day distinct counts add up to the period's.
 */
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { RollupLevel } from './levels';
import { monthPieces } from './months';
import { rollupRows, type RollupWindow } from './read';
import type { CompactionState } from './state';

/** A group's key in the result: its column values in `groupBy` order, JSON-encoded. */
export const groupKey = (values: readonly unknown[]): string => JSON.stringify(values.map(String));

/**
 * Adds to `out`, per group, the distinct person-minutes of `rows` (SQL with the `groupBy` columns,
 * local_date and active_minutes) counted per day and summed over the days.
 */
export async function addPersonMinutes(
  ch: ClickHouseClient,
  out: Map<string, number>,
  rows: string,
  groupBy: readonly string[],
): Promise<void> {
  const perDay = [...new Set([...groupBy, 'local_date'])].join(', ');
  const groups = groupBy.join(', ');
  const sums = await queryRows<Record<string, unknown> & { minutes: string }>(
    ch,
    `SELECT ${groups}, toString(sum(day_minutes)) AS minutes FROM (
       SELECT ${perDay}, uniqExactIfMerge(active_minutes) AS day_minutes FROM (${rows}) AS r
       GROUP BY ${perDay}) AS per_day
     GROUP BY ${groups}`,
  );
  for (const r of sums) {
    const k = groupKey(groupBy.map((c) => r[c]));
    out.set(k, (out.get(k) ?? 0) + Number(r.minutes));
  }
}

export async function distinctPersonMinutes(
  ch: ClickHouseClient,
  state: CompactionState,
  level: RollupLevel,
  w: RollupWindow,
  groupBy: readonly string[],
  o: { where?: string } = {},
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const pieces = w.from <= w.to ? monthPieces(w.from, w.to) : [];
  for (const piece of pieces) {
    const rows = rollupRows(
      state,
      level,
      { ...w, from: piece.from, to: piece.to },
      { columns: ['active_minutes'], where: o.where },
    );
    await addPersonMinutes(ch, out, rows, groupBy);
  }
  return out;
}
