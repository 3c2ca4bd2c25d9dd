import { queryRows, sqlDate, type ClickHouseClient } from '@edusage/clickhouse';
import { distinctPersonMinutes, rollupRows, stateToRead } from '@edusage/rollups';
import type { Period, UsageReadAs } from './queries';

export interface WeeklyUsageRow {
  week_from: string;
  week_to: string;
  /** Distinct people with an event in the week, any app (merged states: never a sum of days or apps). */
  active_users: number;
  events: number;
  /** Summed over apps, each by the metric rule (as `districtAppUsage` counts an app). */
  engaged_seconds: number;
}

const addDays = (d: string, n: number) =>
  new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** Days of a whole week of `weeksEndingOn`. */
export const WEEK_DAYS = 7;

/**
 * Consecutive 7-day weeks ending on `to`, oldest first, the first one cut at `from`: unless the period
 * is a whole number of weeks, the first week has fewer days (`weekDays`) and smaller counts, so a trend
 * must not show it as a week like the others.
 */
export function weeksEndingOn(from: string, to: string): { from: string; to: string }[] {
  const weeks: { from: string; to: string }[] = [];
  for (let end = to; end >= from; end = addDays(end, -7)) {
    const start = addDays(end, -6);
    weeks.unshift({ from: start < from ? from : start, to: end });
  }
  return weeks;
}

/** The days of a week of `weeksEndingOn` (WEEK_DAYS, or fewer for a first week cut at the period's start). */
export function weekDays(w: { from: string; to: string }): number {
  return Math.round((Date.parse(`${w.to}T00:00:00Z`) - Date.parse(`${w.from}T00:00:00Z`)) / 86_400_000) + 1;
}

/**
 * District-wide usage per week of a period (weeks of `weeksEndingOn`, every week, zeros included) from
 * the district rollup: the week's cells merged, people across all its days and apps (uniqExact states
 * merged, so a person using three apps on five days is one), engaged seconds per app by the metric rule
 * and then summed over apps (as the per-app figures add up); person-minutes per app and day.
 */
export async function weeklyDistrictUsage(
  ch: ClickHouseClient,
  p: Period,
  as: UsageReadAs = {},
): Promise<WeeklyUsageRow[]> {
  const weekBack = `intDiv(${sqlDate(p.to)} - local_date, 7)`;
  const rollups = await stateToRead(ch, as.rollups);
  const [rows, minutes] = await Promise.all([
    queryRows<{ week_back: number | string; active_users: string; events: string; explicit: string }>(
      ch,
      `SELECT ${weekBack} AS week_back, uniqExactMerge(active_users) AS active_users, sumMerge(events) AS events,
              sumMerge(explicit_seconds) AS explicit
       FROM (${rollupRows(rollups, 'district', p, { columns: ['active_users', 'events', 'explicit_seconds'] })}) AS r
       GROUP BY week_back`,
    ),
    // Per app and day (the metric rule counts a person-minute once per app), summed into weeks below.
    distinctPersonMinutes(ch, rollups, 'district', p, ['app_id', 'local_date']),
  ]);
  const weekBackOf = (day: string) =>
    Math.floor((Date.parse(`${p.to}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`)) / (7 * 86_400_000));
  const minutesByBack = new Map<number, number>();
  for (const [key, n] of minutes) {
    const [, day] = JSON.parse(key) as [string, string];
    const back = weekBackOf(day);
    minutesByBack.set(back, (minutesByBack.get(back) ?? 0) + n);
  }
  const byBack = new Map(rows.map((r) => [Number(r.week_back), r]));
  const weeks = weeksEndingOn(p.from, p.to);
  return weeks.map((w, i) => {
    const back = weeks.length - 1 - i;
    const r = byBack.get(back);
    return {
      week_from: w.from,
      week_to: w.to,
      active_users: Number(r?.active_users ?? 0),
      events: Number(r?.events ?? 0),
      engaged_seconds: Number(r?.explicit ?? 0) + 60 * (minutesByBack.get(back) ?? 0),
    };
  });
}
