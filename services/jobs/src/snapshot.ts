/**
 * The nightly license-utilization snapshot: the licenses report's per-license metrics (the one source of
 * truth, packages/licenses) for a district and day, stored in license_utilization_snapshots.
 */
import { insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import {
  addDays,
  currentLicenses,
  licenseMetricFields,
  licenseMetricsFor,
  type LicenseMetrics,
} from '@edusage/licenses';

export interface SnapshotRow {
  district_id: string;
  day: string;
  window_days: number;
  license_id: string;
  app_id: string;
  vendor: string;
  school_id: string;
  currency: string;
  seats: number;
  unlimited_seats: number;
  eligible: number;
  active: number;
  engaged_hours: number;
  utilization: number | null;
  reach: number | null;
  used_share: number;
  unused_seats: number | null;
  total_cost: number;
  idle_cost: number;
  cost_per_active_user: number | null;
  epi: number | null;
  flags: string[];
  computed_ms: number;
}

export function snapshotRow(
  m: LicenseMetrics,
  districtId: string,
  day: string,
  windowDays: number,
  computedMs: number,
): SnapshotRow {
  return {
    district_id: districtId,
    day,
    window_days: windowDays,
    ...licenseMetricFields(m),
    seats: m.license.seats,
    unlimited_seats: m.license.unlimited_seats,
    computed_ms: computedMs,
  };
}

/**
 * Snapshots one district for `day` (the window of `windowDays` days ending on it). All rows of a run
 * share one computed_ms, so a re-run replaces the day in license_utilization_snapshots_latest.
 */
export async function snapshotDistrict(
  ch: ClickHouseClient,
  districtId: string,
  day: string,
  windowDays: number,
  now = Date.now(),
): Promise<number> {
  // The report's per-license metrics only (licenseMetricsFor: no weekly trend, no lists to read).
  const window = { districtId, from: addDays(day, 1 - windowDays), to: day };
  const { metrics } = await licenseMetricsFor(ch, window, await currentLicenses(ch, districtId));
  const rows = metrics.map((m) => snapshotRow(m, districtId, day, windowDays, now));
  if (rows.length > 0) await insertRows(ch, 'license_utilization_snapshots', rows);
  return rows.length;
}
