/**
 * The nightly license-utilization snapshot: the licenses report's per-license metrics (the one source of
 * truth, packages/licenses) for a district and day, stored in license_utilization_snapshots. A scheduled
 * run also snapshots the days missed since the district's last snapshot (see snapshotCatchingUp).
 */
import { insertRows, queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import {
  addDays,
  currentLicenses,
  inForce,
  licenseMetricFields,
  licenseMetricsFor,
  type LicenseMetrics,
  type StoredLicense,
} from '@edusage/licenses';

/**
 * At most this many missed days are snapshotted by one run (the most recent ones): each is a window's
 * metrics per district, and a run after weeks down would otherwise hold the queue for that long. Older
 * missed days are logged and left unsnapshotted.
 */
export const SNAPSHOT_CATCH_UP_DAYS = 14;

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
  /** The district's current licenses when already read. */
  licenses?: StoredLicense[],
): Promise<number> {
  // The report's per-license metrics only (licenseMetricsFor: no weekly trend, no lists to read).
  const window = snapshotWindow(districtId, day, windowDays);
  const { metrics } = await licenseMetricsFor(ch, window, licenses ?? (await currentLicenses(ch, districtId)));
  const rows = metrics.map((m) => snapshotRow(m, districtId, day, windowDays, now));
  if (rows.length > 0) await insertRows(ch, 'license_utilization_snapshots', rows);
  return rows.length;
}

const snapshotWindow = (districtId: string, day: string, windowDays: number) => ({
  districtId,
  from: addDays(day, 1 - windowDays),
  to: day,
});

/** The district's latest snapshot day before `day` (any run of it), or null when it has none. */
export async function lastSnapshotDay(ch: ClickHouseClient, districtId: string, day: string): Promise<string | null> {
  // Aliased apart from `day`: on 18.16 an alias named like its column replaces it in WHERE.
  const rows = await queryRows<{ last_day: string }>(
    ch,
    `SELECT toString(day) AS last_day FROM license_utilization_snapshots
     WHERE district_id = ${sqlString(districtId)} AND day < toDate(${sqlString(day)})
     ORDER BY day DESC LIMIT 1`,
  );
  return rows[0]?.last_day ?? null;
}

export interface CatchUpDays {
  /** Missed days to snapshot now, oldest first (at most SNAPSHOT_CATCH_UP_DAYS). */
  caughtUp: string[];
  /** Missed days older than those: not snapshotted, oldest first. */
  missed: string[];
}

/**
 * The days after `last` and before `day` that have no snapshot although one of `licenses` is in force
 * in their window (a day without one would have no rows: nothing is missing). None when the district
 * was never snapshotted: a new district starts at its first run, with no history made up.
 */
export function catchUpDays(
  last: string | null,
  day: string,
  windowDays: number,
  licenses: readonly StoredLicense[],
): CatchUpDays {
  const missing: string[] = [];
  if (last !== null) {
    for (let d = addDays(last, 1); d < day; d = addDays(d, 1)) {
      const window = snapshotWindow('', d, windowDays);
      if (licenses.some((l) => inForce(l, window))) missing.push(d);
    }
  }
  const cut = Math.max(0, missing.length - SNAPSHOT_CATCH_UP_DAYS);
  return { caughtUp: missing.slice(cut), missed: missing.slice(0, cut) };
}

export interface DistrictSnapshot extends CatchUpDays {
  rows: number;
}

/**
 * A scheduled run: the district's missed days (catchUpDays), then `day`. BullMQ runs a scheduler's
 * missed times once, late, and skips the rest, so a service down for several nights would otherwise
 * leave those days without a snapshot, silently. A missed day is computed as any late run is: its
 * window's use as stored now, with the inventory and roster as they are now (`computed_ms` says when).
 * Oldest first, so a run that fails part way leaves its last day stored and its retry goes on from
 * there; `planned` hears of the days before any is written, as a retry no longer sees the days left
 * beyond the cap.
 */
export async function snapshotCatchingUp(
  ch: ClickHouseClient,
  districtId: string,
  day: string,
  windowDays: number,
  planned: (days: CatchUpDays) => void,
  now = Date.now(),
): Promise<DistrictSnapshot> {
  const licenses = await currentLicenses(ch, districtId);
  const days = catchUpDays(await lastSnapshotDay(ch, districtId, day), day, windowDays, licenses);
  planned(days);
  let rows = 0;
  for (const d of [...days.caughtUp, day]) rows += await snapshotDistrict(ch, districtId, d, windowDays, now, licenses);
  return { ...days, rows };
}
