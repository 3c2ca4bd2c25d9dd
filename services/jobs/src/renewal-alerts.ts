/**
 * Renewal alerts of the jobs service: the rule (which alerts are due, their ids) is packages/licenses
 * `renewals.ts`, shared with the demo; this stores the due alerts not stored yet.
 */
import { insertRows, queryRows, sqlList, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
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
