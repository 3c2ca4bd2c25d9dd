/**
 * Renewal alerts: licenses renewing within one of the configured day thresholds whose used share (the
 * report's `used_share`: utilization capped at 1, reach for unlimited seats) is below a threshold.
 * One alert per license × threshold × renewal date, with an id derived from those, so re-runs, retries
 * and concurrent processes agree on it.
 */
import { createHash } from 'node:crypto';
import { insertRows, queryRows, sqlDate, sqlList, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { addDays, buildLicenseReport, type LicenseMetrics } from '@edusage/licenses';

export interface RenewalAlert {
  alert_id: string;
  district_id: string;
  license_id: string;
  app_id: string;
  renewal_date: string;
  threshold_days: number;
  days_to_renewal: number;
  detected_on: string;
  window_from: string;
  window_to: string;
  used_share: number;
  utilization: number | null;
  seats: number;
  unlimited_seats: number;
  active: number;
  total_cost: number;
  currency: string;
  created_ms: number;
}

export interface AlertRule {
  /** Day thresholds, ascending (30, 60, 90). */
  thresholds: number[];
  /** Alert when the used share is below this. */
  usedShareBelow: number;
}

export function alertId(districtId: string, licenseId: string, thresholdDays: number, renewalDate: string): string {
  return createHash('sha256')
    .update(JSON.stringify([districtId, licenseId, thresholdDays, renewalDate]))
    .digest('hex')
    .slice(0, 32);
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

/** The renewal date of a license: its renewalDate, else the end of its term. */
export const renewalDateOf = (m: LicenseMetrics) => m.license.renewal_date || m.license.term_end;

/**
 * The alerts due on `today` for these metrics: a license renewing in d days (0 ≤ d) gets the alert of
 * the tightest threshold ≥ d, so it is alerted at 90, again at 60 and at 30 days, never twice for one.
 */
export function dueAlerts(
  metrics: LicenseMetrics[],
  districtId: string,
  today: string,
  window: { from: string; to: string },
  rule: AlertRule,
  now: number,
): RenewalAlert[] {
  return metrics.flatMap((m) => {
    const renewal = renewalDateOf(m);
    const days = daysBetween(today, renewal);
    const threshold = rule.thresholds.find((t) => days >= 0 && days <= t);
    if (threshold === undefined || m.used_share >= rule.usedShareBelow) return [];
    const l = m.license;
    return [
      {
        alert_id: alertId(districtId, l.license_id, threshold, renewal),
        district_id: districtId,
        license_id: l.license_id,
        app_id: l.app_id,
        renewal_date: renewal,
        threshold_days: threshold,
        days_to_renewal: days,
        detected_on: today,
        window_from: window.from,
        window_to: window.to,
        used_share: m.used_share,
        utilization: m.utilization,
        seats: l.seats,
        unlimited_seats: l.unlimited_seats,
        active: m.active,
        total_cost: m.total_cost,
        currency: l.currency,
        created_ms: now,
      },
    ];
  });
}

/**
 * Computes the district's alerts for `today` (utilization over the `windowDays` days before it) and
 * stores those not stored yet. Returns every due alert (stored before or now) and the new ones.
 */
export async function checkRenewals(
  ch: ClickHouseClient,
  districtId: string,
  today: string,
  windowDays: number,
  rule: AlertRule,
  now = Date.now(),
): Promise<{ due: RenewalAlert[]; created: RenewalAlert[] }> {
  const window = { from: addDays(today, -windowDays), to: addDays(today, -1) };
  const report = await buildLicenseReport(ch, { districtId, ...window });
  const due = dueAlerts(report.licenses, districtId, today, window, rule, now);
  if (due.length === 0) return { due, created: [] };
  const stored = await queryRows<{ alert_id: string }>(
    ch,
    `SELECT alert_id FROM license_renewal_alerts FINAL
     WHERE district_id = ${sqlString(districtId)} AND alert_id IN ${sqlList(
       due.map((a) => a.alert_id),
       sqlString,
     )}`,
  );
  const known = new Set(stored.map((r) => r.alert_id));
  const created = due.filter((a) => !known.has(a.alert_id));
  await insertRows(ch, 'license_renewal_alerts', created);
  return { due, created };
}

/** The district's stored renewal alerts (one per license × threshold × renewal date), soonest renewal first. */
export async function storedRenewalAlerts(
  ch: ClickHouseClient,
  districtId: string,
  opts: { renewingFrom?: string } = {},
): Promise<RenewalAlert[]> {
  const rows = await queryRows<Record<string, unknown>>(
    ch,
    `SELECT alert_id, district_id, license_id, app_id, toString(renewal_date) AS renewal_date, threshold_days,
            days_to_renewal, toString(detected_on) AS detected_on, toString(window_from) AS window_from,
            toString(window_to) AS window_to, used_share, utilization, seats, unlimited_seats, active, total_cost,
            currency, created_ms
     FROM (
       SELECT * FROM license_renewal_alerts FINAL
       WHERE district_id = ${sqlString(districtId)}${
         opts.renewingFrom === undefined ? '' : ` AND renewal_date >= ${sqlDate(opts.renewingFrom)}`
       }
     ) -- filtered inside: current ClickHouse resolves the outer names to the toString aliases
     ORDER BY renewal_date, license_id, threshold_days`,
  );
  return rows.map((r) => ({
    ...(r as unknown as RenewalAlert),
    threshold_days: Number(r.threshold_days),
    days_to_renewal: Number(r.days_to_renewal),
    used_share: Number(r.used_share),
    utilization: r.utilization === null ? null : Number(r.utilization),
    seats: Number(r.seats),
    unlimited_seats: Number(r.unlimited_seats),
    active: Number(r.active),
    total_cost: Number(r.total_cost),
    created_ms: Number(r.created_ms),
  }));
}
