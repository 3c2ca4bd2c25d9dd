/**
 * The license counts, computed in ClickHouse from the rollups (read through @edusage/rollups'
 * rollupRows with -Merge), the roster dimensions (dim_*_current) and the current license inventory. Every
 * active-user figure is a merged uniqExact state over the whole window: distinct people, never a
 * sum of daily counts. The ratios built on these counts are in metrics.ts.
 */
import { queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { stateToRead } from '@edusage/rollups';
import {
  activeMinutes,
  licenseActivity,
  licensedActivity,
  trendWeeks,
  type ActivityOptions,
  type AppUse,
  type LicenseActivity,
} from './activity';
import { countedFigures } from './counted';
import { eligibleCounts, type EligibleCounts } from './eligible';
import type { LicenseRecord } from './license-rows';
import type { Window } from './rollup-read';

export type { AppUse, Window };

export interface StoredLicense extends LicenseRecord {
  seats: number;
}

export interface LicenseCounts {
  license_id: string;
  /** Rostered people in the license's scope, audience and grade band. */
  eligible: number;
  /** Rostered students in the license's scope and grade band (the per_student cost basis). */
  students: number;
  /** Distinct people of the audience's roles active with the app, in scope, in window ∩ term. */
  active: number;
  engaged_seconds: number;
}

export interface LicenseSchoolCounts {
  license_id: string;
  school_id: string;
  eligible: number;
  active: number;
}

type Num = string | number;

export async function currentLicenses(ch: ClickHouseClient, districtId: string): Promise<StoredLicense[]> {
  const rows = await queryRows<StoredLicense & { seats: Num; unlimited_seats: Num; cost: Num }>(
    ch,
    `SELECT license_id, app_id, vendor, school_id, seats, unlimited_seats, cost, cost_basis, currency,
            toString(term_start) AS term_start, toString(term_end) AS term_end, renewal_date, audience,
            audience_roles, grades, notes
     FROM licenses_current WHERE district_id = ${sqlString(districtId)} ORDER BY license_id`,
  );
  return rows.map((r) => ({
    ...r,
    seats: Number(r.seats),
    unlimited_seats: Number(r.unlimited_seats) === 1 ? 1 : 0,
    cost: Number(r.cost),
  }));
}

/** Per license: eligible, students, active and engaged seconds (explicit + 60 per person-minute). */
function countsOf(
  eligible: EligibleCounts['byLicense'],
  activity: LicenseActivity,
  minutes: Map<string, number>,
): Map<string, LicenseCounts> {
  const out = new Map<string, LicenseCounts>();
  const get = (id: string) => {
    let c = out.get(id);
    if (!c) {
      c = { license_id: id, eligible: 0, students: 0, active: 0, engaged_seconds: 0 };
      out.set(id, c);
    }
    return c;
  };
  for (const [id, e] of eligible) Object.assign(get(id), e);
  for (const [id, t] of activity.totals) {
    const engaged = t.explicit_seconds + 60 * (minutes.get(id) ?? 0);
    Object.assign(get(id), { active: t.active, engaged_seconds: engaged });
  }
  return out;
}

/** Per license and roster school: eligible people and active people (a school with either). */
function schoolCountsOf(eligible: EligibleCounts['bySchool'], activity: LicenseActivity): LicenseSchoolCounts[] {
  const out = new Map<string, LicenseSchoolCounts>();
  for (const r of eligible) {
    out.set(`${r.license_id}|${r.school_id}`, {
      license_id: r.license_id,
      school_id: r.school_id,
      eligible: r.eligible,
      active: 0,
    });
  }
  for (const r of activity.schools) {
    const k = `${r.license_id}|${r.school_id}`;
    const row = out.get(k) ?? { license_id: r.license_id, school_id: r.school_id, eligible: 0, active: 0 };
    row.active = r.active;
    out.set(k, row);
  }
  return [...out.values()].sort(
    (a, b) => a.license_id.localeCompare(b.license_id) || a.school_id.localeCompare(b.school_id),
  );
}

/** Per license: eligible, students, active and engaged seconds over the window (∩ each license's term). */
export async function licenseCounts(ch: ClickHouseClient, w: Window): Promise<Map<string, LicenseCounts>> {
  return (await licenseFigures(ch, w)).counts;
}

/**
 * Per license and roster school over the window (∩ term): eligible and distinct active people, the
 * report's per-school rows without its other figures (the API's /v1/licenses/schools).
 */
export async function licenseSchoolCounts(ch: ClickHouseClient, w: Window): Promise<LicenseSchoolCounts[]> {
  const licenses = await currentLicenses(ch, w.districtId);
  const [eligible, activity] = await Promise.all([eligibleCounts(ch, w.districtId, licenses), licenseActivity(ch, w)]);
  return schoolCountsOf(eligible.bySchool, activity);
}

export interface LicenseFigures {
  counts: Map<string, LicenseCounts>;
  /** Per license and school (schools of the roster only; activity with no school is left out). */
  schoolCounts: LicenseSchoolCounts[];
  /** Distinct active people per license and Monday-starting week, from `trendFrom` to the window end (∩ term). */
  trend: { license_id: string; week: string; active: number }[];
  /** With `apps`: every app used in the window, licensed or not (AppUse). */
  apps: Map<string, AppUse>;
}

/**
 * licenseCounts, the per-school counts and optionally the weekly trend and every app's use, from one
 * read of the rollup's people (licenseActivity) and one of its minutes (activeMinutes), concurrently.
 */
export async function licenseFigures(
  ch: ClickHouseClient,
  w: Window,
  options: ActivityOptions = {},
  /** The district's current licenses, ALL of them (read when not given); a license left out gets no figures. */
  licenses?: readonly StoredLicense[],
): Promise<LicenseFigures> {
  // The window's people (one read of the school rollup), the roster's eligible people, and what the
  // stored counts answer (trend weeks, minutes) with the rest merged, all at once.
  const all = licenses ?? (await currentLicenses(ch, w.districtId));
  const counted = async () => {
    const figures = await countedFigures(ch, w, all, options.trendFrom);
    return Promise.all([
      options.trendFrom === undefined ? [] : trendWeeks(ch, w, figures),
      activeMinutes(ch, w, figures),
    ]);
  };
  const [{ byLicense, bySchool }, activity, [trend, minutes]] = await Promise.all([
    eligibleCounts(ch, w.districtId, all),
    licenseActivity(ch, w, { apps: options.apps }),
    counted(),
  ]);
  return {
    counts: countsOf(byLicense, activity, minutes),
    schoolCounts: schoolCountsOf(bySchool, activity),
    trend,
    apps: activity.apps,
  };
}

export interface StoredApproval {
  app_id: string;
  status: string;
  dpa_signed_on: string;
  dpa_expires_on: string;
  note: string;
}

export async function currentApprovals(ch: ClickHouseClient, districtId: string): Promise<Map<string, StoredApproval>> {
  const rows = await queryRows<StoredApproval>(
    ch,
    `SELECT app_id, status, dpa_signed_on, dpa_expires_on, note FROM app_approvals_current
     WHERE district_id = ${sqlString(districtId)} ORDER BY app_id`,
  );
  return new Map(rows.map((r) => [r.app_id, r]));
}

/** Per license: distinct people of its audience and scope active in the window after its term ended. */
export async function activeAfterTerm(ch: ClickHouseClient, w: Window): Promise<Map<string, AppUse>> {
  const rows = await queryRows<{ license_id: string; active: Num; schools: string[] }>(
    ch,
    licensedActivity(
      await stateToRead(ch, w.rollups),
      w,
      ['active_users'],
      `license_id, uniqExactMerge(active_users) AS active, arraySort(groupUniqArrayIf(school_id, school_id != '')) AS schools`,
      'license_id',
      'local_date > l_end',
    ),
  );
  return new Map(rows.map((r) => [r.license_id, { app_id: '', active: Number(r.active), schools: r.schools }]));
}
