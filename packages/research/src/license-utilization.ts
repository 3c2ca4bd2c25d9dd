/**
 * Weekly license utilization for the research database: the per-license metrics of the licenses report
 * (packages/licenses, the one source of truth) over one Monday–Sunday week, suppressed. A count of
 * 1 ≤ n < k people is hidden together with every figure it can be recovered from: `active` with
 * utilization (active ÷ seats), unused seats (seats − active), reach and engaged hours; `eligible`
 * with reach. Costs are left out: a per-student cost is a head count times a price.
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import { buildLicenseReport, type LicenseMetrics } from '@edusage/licenses';
import { belowK } from './suppression';
import { weekDays } from './weeks';

export interface LicenseUtilizationRow {
  week_start: string;
  district_id: string;
  license_id: string;
  app_id: string;
  school_id: string;
  seats: number;
  unlimited_seats: number;
  eligible: number | null;
  active: number | null;
  utilization: number | null;
  reach: number | null;
  unused_seats: number | null;
  engaged_hours: number | null;
  eligible_suppressed: number;
  active_suppressed: number;
  k: number;
}

export function suppressLicenseMetrics(
  m: LicenseMetrics,
  districtId: string,
  weekStart: string,
  k: number,
): LicenseUtilizationRow {
  const l = m.license;
  const hideActive = belowK(m.active, k);
  const hideEligible = belowK(m.eligible, k);
  return {
    week_start: weekStart,
    district_id: districtId,
    license_id: l.license_id,
    app_id: l.app_id,
    school_id: l.school_id,
    seats: l.seats,
    unlimited_seats: l.unlimited_seats,
    eligible: hideEligible ? null : m.eligible,
    active: hideActive ? null : m.active,
    utilization: hideActive ? null : m.utilization,
    reach: hideActive || hideEligible ? null : m.reach,
    unused_seats: hideActive ? null : m.unused_seats,
    engaged_hours: hideActive ? null : m.engaged_hours,
    eligible_suppressed: hideEligible ? 1 : 0,
    active_suppressed: hideActive ? 1 : 0,
    k,
  };
}

/** One district's week: the licenses report over Monday–Sunday, each license suppressed. */
export async function weeklyLicenseUtilization(
  ch: ClickHouseClient,
  districtId: string,
  weekStart: string,
  k: number,
): Promise<LicenseUtilizationRow[]> {
  const { from, to } = weekDays(weekStart);
  const report = await buildLicenseReport(ch, { districtId, from, to });
  return report.licenses.map((m) => suppressLicenseMetrics(m, districtId, weekStart, k));
}
