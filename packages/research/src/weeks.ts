/** Monday-based weeks of district-local days (YYYY-MM-DD), the only time grain of the research tables. */
import { isCalendarDay } from '@edusage/clickhouse';
import { addDays } from '@edusage/rollups';

const DAY_MS = 86_400_000;

function parseDay(day: string): Date {
  if (!isCalendarDay(day)) throw new Error(`not a YYYY-MM-DD day: ${JSON.stringify(day)}`);
  return new Date(`${day}T00:00:00Z`);
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

/** The Monday of the week holding `day`. */
export function mondayOf(day: string): string {
  const d = parseDay(day);
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return iso(new Date(d.getTime() - sinceMonday * DAY_MS));
}

/** A week's Monday to Sunday, inclusive. */
export function weekDays(weekStart: string): { from: string; to: string } {
  if (mondayOf(weekStart) !== weekStart) throw new Error(`week_start ${weekStart} is not a Monday`);
  return { from: weekStart, to: iso(new Date(parseDay(weekStart).getTime() + 6 * DAY_MS)) };
}

/**
 * The `count` latest weeks whose Sunday is at least two days before `today` (a district-local Sunday
 * may still run hours after the UTC one: a week is built once it is over everywhere), oldest first.
 */
export function completedWeeks(today: string, count: number): string[] {
  const lastSunday = new Date(parseDay(mondayOf(today)).getTime() - DAY_MS);
  const safe = iso(lastSunday) <= iso(new Date(parseDay(today).getTime() - 2 * DAY_MS)) ? lastSunday : null;
  const newest = safe ?? new Date(lastSunday.getTime() - 7 * DAY_MS);
  const weeks: string[] = [];
  for (let i = count - 1; i >= 0; i--) weeks.push(mondayOf(iso(new Date(newest.getTime() - i * 7 * DAY_MS))));
  return weeks;
}

/**
 * The `count` latest weeks that have been complete (see completedWeeks) for at least `settleWeeks`
 * weeks on `today`, oldest first: late events and rosters have had that long to arrive.
 */
export function settledWeeks(today: string, settleWeeks: number, count: number): string[] {
  return completedWeeks(addDays(today, -7 * settleWeeks), count);
}

/** Whether the week holding `day` has been complete for `settleWeeks` weeks on `today`. */
export function weekSettled(day: string, today: string, settleWeeks: number): boolean {
  return mondayOf(day) <= settledWeeks(today, settleWeeks, 1)[0]!;
}
