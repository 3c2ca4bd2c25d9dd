-- Written by the jobs service (services/jobs).
--
-- license_alert_deliveries: a row once a renewal alert's webhook was answered 2xx. The daily check
-- queues only the due alerts with no row here: BullMQ's job id stops a second delivery only while the
-- job is kept, and the completed list is trimmed by count across every job of the queue (docs/ARCHITECTURE.md
-- "Jobs", "Webhook once per alert"). Two deliveries racing may both insert: read with FINAL.
CREATE TABLE IF NOT EXISTS license_alert_deliveries (
  alert_id String,
  district_id String,
  delivered_at DateTime('UTC'),
  http_status UInt16
) ENGINE = ReplacingMergeTree
ORDER BY (district_id, alert_id);
