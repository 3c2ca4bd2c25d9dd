/**
 * Renewal alerts of the jobs service: the rule (which alerts are due, their ids) is packages/licenses
 * `renewals.ts`, shared with the demo; this stores the due alerts not stored yet.
 */
import { insertRows, queryRows, sqlDate, sqlList, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { renewalCheck, type AlertRule, type RenewalAlert } from '@edusage/licenses';

export { alertId, dueAlerts, renewalDateOf, type AlertRule, type RenewalAlert } from '@edusage/licenses';

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
  const { due } = await renewalCheck(ch, districtId, today, windowDays, rule, now);
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
     FROM license_renewal_alerts FINAL
     WHERE district_id = ${sqlString(districtId)}${
       opts.renewingFrom === undefined ? '' : ` AND renewal_date >= ${sqlDate(opts.renewingFrom)}`
     }
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
