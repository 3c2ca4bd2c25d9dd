import type { ClickHouseClient } from '@edusage/clickhouse';
import type { CompactionState } from '@edusage/rollups';
import type { ActivityOptions } from './activity';
import {
  districtTotals,
  licenseMetrics,
  DEFAULT_THRESHOLDS,
  type DistrictTotals,
  type FlagThresholds,
  type LicenseMetrics,
} from './metrics';
import {
  activeAfterTerm,
  currentApprovals,
  currentLicenses,
  licenseFigures,
  type AppUse,
  type LicenseSchoolCounts,
  type StoredLicense,
  type Window,
} from './queries';
import { addDays, parseWindow } from './window';

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

export interface LicenseReport {
  window: Window;
  licenses: LicenseMetrics[];
  schools: SchoolRow[];
  district: DistrictTotals[];
  /** Distinct active people per license and week (Monday), from the license's term start to the window end. */
  trend: { license_id: string; week: string; active: number }[];
  /** Apps used in the window with no license whose term overlaps it. */
  unlicensed: AppInUse[];
  /** Licenses with no active user from their term start to the window end. */
  never_used: string[];
  /** Licenses whose term ended before the window end, with use in the window after the end. */
  expired_but_used: (AppInUse & { license_id: string; term_end: string })[];
  /** Apps used in the window whose review status is not `approved`, or whose DPA expired by the window end. */
  unapproved: (AppInUse & { status: string; dpa_expires_on: string; reason: 'not_approved' | 'dpa_expired' })[];
}

/**
 * activeAfterTerm over the part of the window after the earliest term end; nothing to read when no
 * license ended before the window end (then no license can be "expired but still used").
 */
async function usedAfterTerm(ch: ClickHouseClient, w: Window, licenses: { term_end: string }[]) {
  const ended = licenses.map((l) => l.term_end).filter((end) => end < w.to);
  if (ended.length === 0) return new Map<string, AppUse>();
  const afterFirstEnd = addDays(ended.sort()[0]!, 1);
  return activeAfterTerm(ch, { ...w, from: afterFirstEnd > w.from ? afterFirstEnd : w.from });
}

/**
 * Per license, the metrics of the window (the report's `licenses`), with the school counts they use
 * and optionally the weekly trend and every app's use (licenseFigures). buildLicenseReport is built on it; the
 * API's license table calls it without a trend (a shorter read).
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
  const { counts, schoolCounts, trend, apps } = await licenseFigures(ch, w, options, licenses);
  const metrics = licenses.map((l) =>
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
  const termStart = licenses.reduce((min, l) => (l.term_start < min ? l.term_start : min), w.from);
  const [{ metrics, schoolCounts, trend, apps: uses }, afterTerm, approvals] = await Promise.all([
    licenseMetricsFor(ch, w, licenses, thresholds, { trendFrom: termStart, apps: true }),
    usedAfterTerm(ch, w, licenses),
    currentApprovals(ch, w.districtId),
  ]);
  // The trend spans each license's term from its start to the window end: no week with an active
  // person there = never used.
  const used = new Set(trend.filter((t) => t.active > 0).map((t) => t.license_id));
  const appOf = new Map(licenses.map((l) => [l.license_id, l.app_id]));
  const covered = new Set(licenses.filter((l) => l.term_start <= w.to && l.term_end >= w.from).map((l) => l.app_id));
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
    never_used: licenses.filter((l) => !used.has(l.license_id)).map((l) => l.license_id),
    expired_but_used: licenses
      .filter((l) => l.term_end < w.to && (afterTerm.get(l.license_id)?.active ?? 0) > 0)
      .map((l) => ({
        ...afterTerm.get(l.license_id)!,
        app_id: l.app_id,
        license_id: l.license_id,
        term_end: l.term_end,
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
