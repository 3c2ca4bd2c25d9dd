/**
 * License metrics from the ClickHouse counts (queries.ts): plain arithmetic, defined in
 * docs/ARCHITECTURE.md "Licenses". null = not defined (n/a), e.g. utilization of unlimited seats.
 */
import type { LicenseCounts, LicenseSchoolCounts, StoredLicense } from './queries';

export interface LicenseMetrics {
  license: StoredLicense;
  /** Cost for the term: flat, cost × seats, or cost × students in scope. */
  total_cost: number;
  eligible: number;
  active: number;
  engaged_hours: number;
  seats: number | null;
  /** active ÷ seats (unlimited: null). */
  utilization: number | null;
  /** active ÷ eligible (no eligible people: null). */
  reach: number | null;
  /** Share of what was bought that was used: min(1, utilization), for unlimited seats min(1, reach). */
  used_share: number;
  unused_seats: number | null;
  /** total_cost × (1 − used_share). */
  idle_cost: number;
  cost_per_active_user: number | null;
  cost_per_engaged_hour: number | null;
  /** EdTech Price Index: total_cost ÷ (total_cost × used_share) = 1 ÷ used_share; null when nothing was used. */
  epi: number | null;
  flags: Flag[];
}

export type Flag =
  | 'high_cost_low_use'
  | 'expensive_underused'
  | 'too_many_licenses'
  | 'uneven_across_schools'
  | 'popular_at_few_schools';

/** Thresholds of the flags (docs/ARCHITECTURE.md "Licenses"); all configurable. */
export interface FlagThresholds {
  /** high_cost_low_use: total cost ≥ this … */
  highCost: number;
  /** … and used share < this. */
  lowUse: number;
  /** expensive_underused: cost per active user ≥ this (or no active user) … */
  expensivePerActiveUser: number;
  /** … and used share < this. */
  underused: number;
  /** too_many_licenses: unused seats ≥ this … */
  tooManyMinSeats: number;
  /** … and unused seats ÷ seats ≥ this. */
  tooManyShare: number;
  /** Schools count for the school flags when they have at least this many eligible people. */
  minEligiblePerSchool: number;
  /** uneven_across_schools: highest minus lowest school reach ≥ this (needs 2+ schools). */
  unevenSpread: number;
  /** popular_at_few_schools: a school is "popular" at reach ≥ this … */
  popularReach: number;
  /** … and the popular schools are at most this share of the schools in scope (needs 3+ schools). */
  fewSchoolsShare: number;
}

export const DEFAULT_THRESHOLDS: FlagThresholds = {
  highCost: 1000,
  lowUse: 0.25,
  expensivePerActiveUser: 50,
  underused: 0.5,
  tooManyMinSeats: 10,
  tooManyShare: 0.3,
  minEligiblePerSchool: 5,
  unevenSpread: 0.4,
  popularReach: 0.3,
  fewSchoolsShare: 1 / 3,
};

/**
 * A license is in force in a window when its term has a day in it. Only such licenses get metrics: one
 * not in force (expired, or not started yet) would have no active user by definition and so count
 * its whole cost as idle (docs/ARCHITECTURE.md "Licenses").
 */
export const inForce = (l: { term_start: string; term_end: string }, w: { from: string; to: string }): boolean =>
  l.term_start <= w.to && l.term_end >= w.from;

export function totalCost(l: StoredLicense, students: number): number {
  if (l.cost_basis === 'per_seat') return l.cost * l.seats;
  if (l.cost_basis === 'per_student') return l.cost * students;
  return l.cost;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** Reach per school for the school flags: schools with enough eligible people only. */
function schoolReaches(rows: LicenseSchoolCounts[], t: FlagThresholds): number[] {
  return rows.filter((r) => r.eligible >= t.minEligiblePerSchool).map((r) => r.active / r.eligible);
}

export function flagsOf(m: Omit<LicenseMetrics, 'flags'>, schools: LicenseSchoolCounts[], t: FlagThresholds): Flag[] {
  const flags: Flag[] = [];
  if (m.total_cost >= t.highCost && m.used_share < t.lowUse) flags.push('high_cost_low_use');
  const perUser = m.cost_per_active_user ?? (m.total_cost > 0 ? Infinity : 0);
  if (perUser >= t.expensivePerActiveUser && m.used_share < t.underused) flags.push('expensive_underused');
  if (
    m.seats !== null &&
    m.unused_seats !== null &&
    m.unused_seats >= t.tooManyMinSeats &&
    m.unused_seats / m.seats >= t.tooManyShare
  ) {
    flags.push('too_many_licenses');
  }
  const reaches = schoolReaches(schools, t);
  if (reaches.length >= 2 && Math.max(...reaches) - Math.min(...reaches) >= t.unevenSpread)
    flags.push('uneven_across_schools');
  const popular = reaches.filter((r) => r >= t.popularReach).length;
  if (reaches.length >= 3 && popular >= 1 && popular <= t.fewSchoolsShare * reaches.length)
    flags.push('popular_at_few_schools');
  return flags;
}

export function licenseMetrics(
  license: StoredLicense,
  counts: LicenseCounts | undefined,
  schools: LicenseSchoolCounts[],
  t: FlagThresholds = DEFAULT_THRESHOLDS,
): LicenseMetrics {
  const eligible = counts?.eligible ?? 0;
  const active = counts?.active ?? 0;
  const engagedSeconds = counts?.engaged_seconds ?? 0;
  const cost = totalCost(license, counts?.students ?? 0);
  const seats = license.unlimited_seats === 1 ? null : license.seats;
  const utilization = seats === null ? null : ratio(active, seats);
  const reach = ratio(active, eligible);
  const used = Math.min(1, (seats === null ? reach : utilization) ?? 0);
  const m = {
    license,
    total_cost: cost,
    eligible,
    active,
    engaged_hours: engagedSeconds / 3600,
    seats,
    utilization,
    reach,
    used_share: used,
    unused_seats: seats === null ? null : Math.max(0, seats - active),
    idle_cost: cost * (1 - used),
    cost_per_active_user: ratio(cost, active),
    cost_per_engaged_hour: ratio(cost, engagedSeconds / 3600),
    epi: used > 0 ? 1 / used : null,
  };
  return { ...m, flags: flagsOf(m, schools, t) };
}

export interface DistrictTotals {
  currency: string;
  licenses: number;
  total_cost: number;
  idle_cost: number;
  /** Σ total cost ÷ Σ (total cost × used share); null when nothing was used. */
  epi: number | null;
}

/** District level, one row per currency (amounts in different currencies are never added). */
export function districtTotals(metrics: LicenseMetrics[]): DistrictTotals[] {
  const byCurrency = new Map<string, { licenses: number; cost: number; idle: number; used: number }>();
  for (const m of metrics) {
    const c = byCurrency.get(m.license.currency) ?? { licenses: 0, cost: 0, idle: 0, used: 0 };
    c.licenses += 1;
    c.cost += m.total_cost;
    c.idle += m.idle_cost;
    c.used += m.total_cost * m.used_share;
    byCurrency.set(m.license.currency, c);
  }
  return [...byCurrency]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, c]) => ({
      currency,
      licenses: c.licenses,
      total_cost: c.cost,
      idle_cost: c.idle,
      epi: c.used > 0 ? c.cost / c.used : null,
    }));
}

/**
 * The per-license figures every flat copy of the metrics shares (the API's license table, the jobs'
 * nightly snapshot rows); each adds its own seats form and context columns.
 */
export function licenseMetricFields(m: LicenseMetrics) {
  const l = m.license;
  return {
    license_id: l.license_id,
    app_id: l.app_id,
    vendor: l.vendor,
    school_id: l.school_id,
    currency: l.currency,
    eligible: m.eligible,
    active: m.active,
    engaged_hours: m.engaged_hours,
    utilization: m.utilization,
    reach: m.reach,
    used_share: m.used_share,
    unused_seats: m.unused_seats,
    total_cost: m.total_cost,
    idle_cost: m.idle_cost,
    cost_per_active_user: m.cost_per_active_user,
    epi: m.epi,
    flags: m.flags,
  };
}
