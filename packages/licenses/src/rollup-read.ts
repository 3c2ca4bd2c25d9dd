/**
 * How the license queries read the school rollup: its current rows (FINAL) of a window of days, in
 * date slices that ClickHouse reads in parallel.
 */
import { sqlDate, sqlString } from '@edusage/clickhouse';
import { addDays } from './window';

/** An inclusive range of district-local days. */
export interface Window {
  districtId: string;
  from: string;
  to: string;
}

/** The aggregate-state columns of the school rollup a query reads (each costs reading and copying). */
export type StateColumn = 'active_users' | 'explicit_seconds' | 'active_minutes';

/** Last day of the month of `day` (YYYY-MM-DD). */
function monthEnd(day: string): string {
  const next = new Date(`${day.slice(0, 7)}-01T00:00:00Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return addDays(next.toISOString().slice(0, 10), -1);
}

/**
 * The window cut into slices that never cross a month or the 16th (at most 16 days each), in order.
 * Months are the rollup's partitions; halves give a one-month window two slices.
 */
export function dateSlices(from: string, to: string): { from: string; to: string }[] {
  const slices: { from: string; to: string }[] = [];
  for (let start = from; start <= to;) {
    const half = `${start.slice(0, 7)}-15`;
    const end = start <= half ? half : monthEnd(start);
    slices.push({ from: start, to: end < to ? end : to });
    start = addDays(end, 1);
  }
  return slices;
}

/**
 * The school rollup's current rows of the window, as a UNION ALL of one `FINAL` read per date slice.
 * ClickHouse 18.16 reads a `FINAL` in one thread and copies every state it passes on; separate slices
 * are read by parallel streams. Exact: local_date is part of the replacing key, so all versions of a
 * row lie in one slice and each slice's FINAL keeps the same row the whole table's would. The filter
 * sits inside each FINAL read: 18.16 does not push an outer WHERE into a view's FINAL (reading
 * `rollup_school_app_daily` and filtering after collapses the whole table first, 4× slower on a year
 * of a 50,000-student district, docs/BENCHMARKS.md).
 */
export function schoolRollupRows(w: Window, states: readonly StateColumn[]): string {
  const columns = `district_id, school_id, local_date, app_id, role${states.map((c) => `, ${c}`).join('')}`;
  const slices = w.from <= w.to ? dateSlices(w.from, w.to) : [w];
  return slices
    .map(
      (s) => `SELECT ${columns} FROM rollup_school_app_daily_parts FINAL
      WHERE district_id = ${sqlString(w.districtId)} AND local_date BETWEEN ${sqlDate(s.from)} AND ${sqlDate(s.to)}`,
    )
    .join('\n      UNION ALL ');
}
