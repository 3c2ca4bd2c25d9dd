import { queryRows, sqlDate, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { stateToRead, type CompactionState } from '@edusage/rollups';
import { licensedActivity, type ActivityOptions } from './activity';
import {
  districtTotals,
  inForce,
  licenseMetrics,
  DEFAULT_THRESHOLDS,
  type DistrictTotals,
  type FlagThresholds,
  type LicenseMetrics,
} from './metrics';
import {
  currentApprovals,
  currentLicenses,
  licenseFigures,
  type AppUse,
  type LicenseSchoolCounts,
  type StoredLicense,
  type Window,
} from './queries';
import { licenseOverlaps, type LicenseOverlap } from './overlaps';
import { addDays, laterDay, parseWindow } from './window';

export interface SchoolRow {
  license_id: string;
  app_id: string;
  school_id: string;
  eligible: number;
  active: number;
  reach: number | null;
}

export interface AppInUse {
  app_id: string;
  active: number;
  schools: string[];
}

/** A license whose term has no day in the report's window: no metrics, not in the totals nor the flags. */
export interface NotInForce {
  license_id: string;
  app_id: string;
  school_id: string;
  term_start: string;
  term_end: string;
  /** `ended` before the window, or `not_started` by its end. */
  reason: 'ended' | 'not_started';
}

export interface LicenseReport {
  window: Window;
  /** The licenses in force in the window (their term has a day in it); the others are `not_in_force`. */
  licenses: LicenseMetrics[];
  schools: SchoolRow[];
  district: DistrictTotals[];
  /** Distinct active people per license and week (Monday), from the license's term start to the window end. */
  trend: { license_id: string; week: string; active: number }[];
  /** Apps used in the window with no license whose term overlaps it. */
  unlicensed: AppInUse[];
  /** Licenses in force with no active user from their term start to the window end. */
  never_used: string[];
  /**
   * Licenses whose term ended before the window end, with use in the window after the end on days no
   * other license of the same app, scope and audience covers (last year's contract is not "expired but
   * used" for this year's).
   */
  expired_but_used: (AppInUse & { license_id: string; term_end: string })[];
  /** Licenses of the inventory not in force in the window (expired, or not started yet), in id order. */
  not_in_force: NotInForce[];
  /**
   * Licenses in force of one app that cover some of the same people on common days: each counts all
   * their users, so their seats add up and their users do not (`licenseOverlaps`).
   */
  overlapping: LicenseOverlap[];
  /** Apps used in the window whose review status is not `approved`, or whose DPA expired by the window end. */
  unapproved: (AppInUse & { status: string; dpa_expires_on: string; reason: 'not_approved' | 'dpa_expired' })[];
}

interface DayRange {
  from: string;
  to: string;
}

/** `r` without the days of `term` (zero, one or two ranges). */
function minusTerm(r: DayRange, term: { term_start: string; term_end: string }): DayRange[] {
  if (!inForce(term, r)) return [r];
  return [
    ...(term.term_start > r.from ? [{ from: r.from, to: addDays(term.term_start, -1) }] : []),
    ...(term.term_end < r.to ? [{ from: addDays(term.term_end, 1), to: r.to }] : []),
  ];
}

/**
 * Per license whose term ended before the window end: the window's days after the end that no other
 * license of the same app, scope and audience covers, as ranges (a license with none is left out:
 * its use after the end is the other license's).
 */
export function uncoveredAfterTerm(
  w: DayRange,
  licenses: readonly Pick<
    StoredLicense,
    'license_id' | 'app_id' | 'school_id' | 'audience' | 'term_start' | 'term_end'
  >[],
): Map<string, DayRange[]> {
  const key = (l: (typeof licenses)[number]) => JSON.stringify([l.app_id, l.school_id, l.audience]);
  const byKey = new Map<string, (typeof licenses)[number][]>();
  for (const l of licenses) byKey.set(key(l), [...(byKey.get(key(l)) ?? []), l]);
  const out = new Map<string, DayRange[]>();
  for (const l of licenses) {
    if (l.term_end >= w.to) continue;
    let left: DayRange[] = [{ from: laterDay(addDays(l.term_end, 1), w.from), to: w.to }];
    for (const other of byKey.get(key(l))!) {
      if (other.license_id !== l.license_id) left = left.flatMap((r) => minusTerm(r, other));
    }
    if (left.length > 0) out.set(l.license_id, left);
  }
  return out;
}

/**
 * Per license, distinct people of its audience and scope active in the window after its term ended,
 * on the days no other license of its app, scope and audience covers (uncoveredAfterTerm); nothing to
 * read when no license has such a day.
 */
async function usedAfterTerm(ch: ClickHouseClient, w: Window, licenses: readonly StoredLicense[]) {
  const left = uncoveredAfterTerm(w, licenses);
  if (left.size === 0) return new Map<string, AppUse>();
  // A license with all of the window after its end left is selected by id (the usual case: short
  // SQL for many licenses), one with days covered by its ranges.
  const whole: string[] = [];
  const ranged: string[] = [];
  const endOf = new Map(licenses.map((l) => [l.license_id, l.term_end]));
  for (const [id, ranges] of left) {
    const after = laterDay(addDays(endOf.get(id)!, 1), w.from);
    if (ranges.length === 1 && ranges[0]!.from === after && ranges[0]!.to === w.to) whole.push(id);
    else
      ranged.push(
        `(license_id = ${sqlString(id)} AND (${ranges
          .map((r) => `local_date BETWEEN ${sqlDate(r.from)} AND ${sqlDate(r.to)}`)
          .join(' OR ')}))`,
      );
  }
  const days = [
    ...(whole.length === 0 ? [] : [`(license_id IN (${whole.map(sqlString).join(', ')}) AND local_date > l_end)`]),
    ...ranged,
  ].join(' OR ');
  const from = [...left.values()].flatMap((ranges) => ranges.map((r) => r.from)).sort()[0]!;
  const rows = await queryRows<{ license_id: string; active: string | number; schools: string[] }>(
    ch,
    licensedActivity(
      await stateToRead(ch, w.rollups),
      { ...w, from },
      ['active_users'],
      `license_id, uniqExactMerge(active_users) AS active, arraySort(groupUniqArrayIf(school_id, school_id != '')) AS schools`,
      'license_id',
      days,
    ),
  );
  return new Map(rows.map((r) => [r.license_id, { app_id: '', active: Number(r.active), schools: r.schools }]));
}

/**
 * Per license in force in the window (inForce: its term has a day in it), the metrics of the window
 * (the report's `licenses`), with the school counts they use and optionally the weekly trend and every
 * app's use (licenseFigures). A license not in force gets nothing (no idle cost, no flags).
 * buildLicenseReport is built on it; the API's license table and the nightly snapshots call it
 * without a trend (a shorter read).
 */
export async function licenseMetricsFor(
  ch: ClickHouseClient,
  w: Window,
  licenses: StoredLicense[],
  thresholds: FlagThresholds = DEFAULT_THRESHOLDS,
  options: ActivityOptions = {},
): Promise<{
  metrics: LicenseMetrics[];
  schoolCounts: LicenseSchoolCounts[];
  trend: LicenseReport['trend'];
  apps: Map<string, AppUse>;
}> {
  const live = licenses.filter((l) => inForce(l, w));
  const ids = new Set(live.map((l) => l.license_id));
  const figures = await licenseFigures(ch, w, options, live);
  const { counts, apps } = figures;
  const schoolCounts = figures.schoolCounts.filter((s) => ids.has(s.license_id));
  const trend = figures.trend.filter((t) => ids.has(t.license_id));
  const metrics = live.map((l) =>
    licenseMetrics(
      l,
      counts.get(l.license_id),
      schoolCounts.filter((s) => s.license_id === l.license_id),
      thresholds,
    ),
  );
  return { metrics, schoolCounts, trend, apps };
}

export async function buildLicenseReport(
  ch: ClickHouseClient,
  w: Window,
  thresholds: FlagThresholds = DEFAULT_THRESHOLDS,
  /** The district's current licenses when already read (licensesAndWindow); else read here. */
  read?: StoredLicense[],
): Promise<LicenseReport> {
  const licenses = read ?? (await currentLicenses(ch, w.districtId));
  const live = licenses.filter((l) => inForce(l, w));
  // The trend (and "never used") of the licenses in force, from the earliest of their term starts.
  const termStart = live.reduce((min, l) => (l.term_start < min ? l.term_start : min), w.from);
  const [{ metrics, schoolCounts, trend, apps: uses }, afterTerm, approvals] = await Promise.all([
    licenseMetricsFor(ch, w, licenses, thresholds, { trendFrom: termStart, apps: true }),
    usedAfterTerm(ch, w, licenses),
    currentApprovals(ch, w.districtId),
  ]);
  // The trend spans each license's term from its start to the window end: no week with an active
  // person there = never used.
  const used = new Set(trend.filter((t) => t.active > 0).map((t) => t.license_id));
  const appOf = new Map(licenses.map((l) => [l.license_id, l.app_id]));
  const covered = new Set(live.map((l) => l.app_id));
  const inUse = [...uses.values()].filter((u) => u.active > 0);
  return {
    window: w,
    licenses: metrics,
    schools: schoolCounts.map((s) => ({
      ...s,
      app_id: appOf.get(s.license_id) ?? '',
      reach: s.eligible > 0 ? s.active / s.eligible : null,
    })),
    district: districtTotals(metrics),
    trend,
    unlicensed: inUse.filter((u) => !covered.has(u.app_id)),
    never_used: live.filter((l) => !used.has(l.license_id)).map((l) => l.license_id),
    expired_but_used: licenses
      .filter((l) => (afterTerm.get(l.license_id)?.active ?? 0) > 0)
      .map((l) => ({
        ...afterTerm.get(l.license_id)!,
        app_id: l.app_id,
        license_id: l.license_id,
        term_end: l.term_end,
      })),
    overlapping: licenseOverlaps(live, w),
    not_in_force: licenses
      .filter((l) => !inForce(l, w))
      .map((l) => ({
        license_id: l.license_id,
        app_id: l.app_id,
        school_id: l.school_id,
        term_start: l.term_start,
        term_end: l.term_end,
        reason: l.term_end < w.from ? ('ended' as const) : ('not_started' as const),
      })),
    unapproved: inUse.flatMap((u): LicenseReport['unapproved'] => {
      const a = approvals.get(u.app_id);
      const status = a?.status ?? 'not_reviewed';
      const dpa = a?.dpa_expires_on ?? '';
      if (status !== 'approved') return [{ ...u, status, dpa_expires_on: dpa, reason: 'not_approved' as const }];
      if (dpa !== '' && dpa < w.to) return [{ ...u, status, dpa_expires_on: dpa, reason: 'dpa_expired' as const }];
      return [];
    }),
  };
}

/**
 * The window of a report spec (`30d`, `term`, `YYYY-MM-DD..YYYY-MM-DD`, see parseWindow) ending on
 * `asOf`; `term` starts at the earliest start of the licenses whose term holds `asOf`.
 */
export async function reportWindow(
  ch: ClickHouseClient,
  districtId: string,
  spec: string,
  asOf: string,
): Promise<Window> {
  return (await licensesAndWindow(ch, districtId, spec, asOf)).window;
}

/** The district's current licenses and reportWindow over them, from one read (the report needs both). */
export async function licensesAndWindow(
  ch: ClickHouseClient,
  districtId: string,
  spec: string,
  asOf: string,
): Promise<{ licenses: StoredLicense[]; window: Window }> {
  const licenses = await currentLicenses(ch, districtId);
  return { licenses, window: windowOf(licenses, districtId, spec, asOf) };
}

/** reportWindow over licenses already read (currentLicenses). */
export function windowOf(
  licenses: readonly { term_start: string; term_end: string }[],
  districtId: string,
  spec: string,
  asOf: string,
): Window {
  const inTerm = licenses.filter((l) => l.term_start <= asOf && l.term_end >= asOf);
  const termStart = inTerm.length === 0 ? null : inTerm.map((l) => l.term_start).sort()[0]!;
  return { districtId, ...parseWindow(spec, asOf, termStart) };
}

/**
 * Only the per-license metrics of the report the CLI prints for a window spec ending on `asOf` (the
 * same reportWindow): the API's license table. `rollups`: the compactions to read under (Window).
 */
export async function licenseTableFor(
  ch: ClickHouseClient,
  districtId: string,
  spec: string,
  asOf: string,
  thresholds: FlagThresholds = DEFAULT_THRESHOLDS,
  rollups?: CompactionState,
): Promise<{ window: Window; licenses: LicenseMetrics[] }> {
  const { licenses, window } = await licensesAndWindow(ch, districtId, spec, asOf);
  const read = rollups === undefined ? window : { ...window, rollups };
  const { metrics } = await licenseMetricsFor(ch, read, licenses, thresholds);
  return { window, licenses: metrics };
}
