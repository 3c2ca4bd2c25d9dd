/**
 * Which renewal alerts' webhooks were delivered (`license_alert_deliveries`, migration 0202). The
 * record, not BullMQ, is what stops a second delivery for good: a completed job is trimmed from the
 * queue's completed list by count across every job of the queue, after which its id no longer blocks.
 */
import { command, queryRows, sqlList, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';

/** Of `alertIds` of the district, those whose delivery is recorded. */
export async function deliveredAlerts(
  ch: ClickHouseClient,
  districtId: string,
  alertIds: readonly string[],
): Promise<Set<string>> {
  if (alertIds.length === 0) return new Set();
  const rows = await queryRows<{ alert_id: string }>(
    ch,
    `SELECT alert_id FROM license_alert_deliveries FINAL
     WHERE district_id = ${sqlString(districtId)} AND alert_id IN ${sqlList(alertIds, sqlString)}`,
  );
  return new Set(rows.map((r) => r.alert_id));
}

/** The alert's webhook was answered `status` (2xx) now. */
export async function recordDelivery(
  ch: ClickHouseClient,
  delivery: { alertId: string; districtId: string; status: number },
): Promise<void> {
  await command(
    ch,
    `INSERT INTO license_alert_deliveries (alert_id, district_id, delivered_at, http_status)
     VALUES (${sqlString(delivery.alertId)}, ${sqlString(delivery.districtId)}, now(), ${sqlNumber(delivery.status)})`,
  );
}
