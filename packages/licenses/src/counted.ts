/**
 * The license figures that the compaction's stored counts answer (@edusage/rollups countsFor), and
 * the rest, which licenseActivity and activeMinutes merge from states as before. A license's figure
 * is a count of ONE cell: its scope (the district, or its school), its app and its one audience role.
 * A license of several roles is never counted: a count per role cannot be added up (a person-minute,
 * or a person in a week, could be in two roles after a roster change), so its figures are all merged.
 */
import {
  addDays,
  countsFor,
  daysOf,
  mondayOf,
  stateToRead,
  type CompactionState,
  type CountCell,
} from '@edusage/rollups';
import type { ClickHouseClient } from '@edusage/clickhouse';
import type { StoredLicense, Window } from './queries';
import { earlierDay, laterDay } from './window';

/** The licenses' terms and cells: what countedFigures needs of a StoredLicense. */
export type CountedLicense = Pick<
  StoredLicense,
  'license_id' | 'app_id' | 'school_id' | 'audience_roles' | 'term_start' | 'term_end'
>;

export interface CountedFigures {
  /** The compactions the counts belong to: the states of the rest must be read under the same ones. */
  rollups: CompactionState;
  /** The first day of the trend (the earlier of its start and the window start); the window start without one. */
  trendStart: string;
  /**
   * Licenses nothing was counted for (several roles, or no usable count): all their window days and
   * trend weeks are merged, selected by license rather than by day (a year of license-days as SQL
   * keys would pass ClickHouse's 256 KiB query limit). Not in weeksLeft and daysLeft.
   */
  uncounted: Set<string>;
  /** Counted (license, Monday) trend points: the weeks whose cell has a row (as a merged read gives). */
  weeks: { license_id: string; week: string; active: number }[];
  /** Per counted license, the Mondays of the trend weeks still to merge from states. */
  weeksLeft: Map<string, Set<string>>;
  /** Per license, its counted person-minutes of the window (∩ term). */
  minutes: Map<string, number>;
  /** Per counted license, the window days (∩ term) whose person-minutes are still to merge from states. */
  daysLeft: Map<string, Set<string>>;
}

function add(map: Map<string, Set<string>>, id: string, value: string): void {
  let set = map.get(id);
  if (set === undefined) map.set(id, (set = new Set()));
  set.add(value);
}

/**
 * Splits the figures of `licenses` over the window (and the trend from `trendFrom`) into counted ones
 * and the days and weeks left to merge. Reads the counts once, under the window's compactions (stateToRead).
 */
export async function countedFigures(
  ch: ClickHouseClient,
  w: Window,
  licenses: readonly CountedLicense[],
  trendFrom?: string,
): Promise<CountedFigures> {
  const rollups = await stateToRead(ch, w.rollups);
  const from = trendStart(w, trendFrom);
  const cellOf = (l: CountedLicense): CountCell | undefined =>
    l.audience_roles.length === 1 ? { scope: l.school_id, app: l.app_id, role: l.audience_roles[0]! } : undefined;
  const counts = await countsFor(ch, rollups, w.districtId, {
    cells: licenses.flatMap((l) => cellOf(l) ?? []),
    days: w,
    weeks: trendFrom === undefined ? undefined : { from, to: w.to },
  });
  const out: CountedFigures = {
    rollups,
    trendStart: from,
    uncounted: new Set(),
    weeks: [],
    weeksLeft: new Map(),
    minutes: new Map(),
    daysLeft: new Map(),
  };
  for (const l of licenses) {
    const cell = cellOf(l);
    // Its days in the window and its trend weeks (from the trend start ∩ term to the window end).
    const days = daysOf(laterDay(l.term_start, w.from), earlierDay(l.term_end, w.to));
    const first = laterDay(l.term_start, from);
    const last = earlierDay(l.term_end, w.to);
    const mondays: string[] = [];
    for (let m = mondayOf(first); trendFrom !== undefined && first <= last && m <= last; m = addDays(m, 7))
      mondays.push(m);
    if (days.length === 0 && mondays.length === 0) continue; // nothing of it in the report's days
    if (cell === undefined) {
      out.uncounted.add(l.license_id);
      continue;
    }
    let counted = 0;
    for (const day of days) {
      if (counts.usableDay(cell, day)) {
        counted += 1;
        const minutes = counts.day(cell, day)?.active_minutes ?? 0;
        out.minutes.set(l.license_id, (out.minutes.get(l.license_id) ?? 0) + minutes);
      } else {
        add(out.daysLeft, l.license_id, day);
      }
    }
    for (const monday of mondays) {
      const whole = monday >= first && addDays(monday, 6) <= last;
      if (whole && counts.usableWeek(cell, monday)) {
        counted += 1;
        const row = counts.week(cell, monday);
        if (row !== undefined) out.weeks.push({ license_id: l.license_id, week: monday, active: row.active_users });
      } else {
        add(out.weeksLeft, l.license_id, monday);
      }
    }
    if (counted === 0) {
      out.uncounted.add(l.license_id);
      out.daysLeft.delete(l.license_id);
      out.weeksLeft.delete(l.license_id);
    }
  }
  return out;
}

/** The first day a report with a trend from `trendFrom` reads: the earlier of it and the window start. */
export const trendStart = (w: Window, trendFrom: string | undefined): string =>
  trendFrom !== undefined && trendFrom < w.from ? trendFrom : w.from;

/** Sorted, merged ranges of consecutive days. */
export function dayRanges(days: Iterable<string>): { from: string; to: string }[] {
  const sorted = [...new Set(days)].sort();
  const out: { from: string; to: string }[] = [];
  for (const d of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && addDays(last.to, 1) === d) last.to = d;
    else out.push({ from: d, to: d });
  }
  return out;
}
