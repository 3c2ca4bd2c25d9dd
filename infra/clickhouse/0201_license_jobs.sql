-- Written by the jobs service (services/jobs).
--
-- license_utilization_snapshots: the license metrics of packages/licenses for one district and day
-- (the window of window_days days ending on `day`), kept so that history survives roster and inventory
-- changes. A run writes all its rows with one computed_ms; a re-run or retry of the same district × day
-- writes a new run. ReplacingMergeTree keeps one row per (district, day, license), and
-- license_utilization_snapshots_latest shows only the latest run of each district × day (a license
-- dropped from the inventory between two runs is not shown). Nullable metrics are n/a (see the report).
CREATE TABLE IF NOT EXISTS license_utilization_snapshots (
  district_id String,
  day Date,
  window_days UInt16,
  license_id String,
  app_id String,
  vendor String,
  school_id String,
  currency String,
  seats UInt32,
  unlimited_seats UInt8,
  eligible UInt32,
  active UInt32,
  engaged_hours Float64,
  utilization Nullable(Float64),
  reach Nullable(Float64),
  used_share Float64,
  unused_seats Nullable(UInt32),
  total_cost Float64,
  idle_cost Float64,
  cost_per_active_user Nullable(Float64),
  epi Nullable(Float64),
  flags Array(String),
  computed_ms UInt64
) ENGINE = ReplacingMergeTree(computed_ms)
PARTITION BY toYYYYMM(day)
ORDER BY (district_id, day, license_id);

CREATE VIEW IF NOT EXISTS license_utilization_snapshots_latest AS
SELECT * FROM license_utilization_snapshots FINAL
WHERE (district_id, day, computed_ms) IN (
  SELECT district_id, day, max(computed_ms) FROM license_utilization_snapshots GROUP BY district_id, day);

-- license_renewal_alerts: one row per license × threshold × renewal date. alert_id is derived from
-- those (and the district), so every process and every re-run computes the same id; a run skips the ids
-- already stored, and two runs racing may both insert one, which ReplacingMergeTree collapses: read
-- with FINAL (ClickHouse has no unique constraint).
CREATE TABLE IF NOT EXISTS license_renewal_alerts (
  alert_id String,
  district_id String,
  license_id String,
  app_id String,
  renewal_date Date,
  threshold_days UInt16,
  days_to_renewal UInt16,
  detected_on Date,
  window_from Date,
  window_to Date,
  used_share Float64,
  utilization Nullable(Float64),
  seats UInt32,
  unlimited_seats UInt8,
  active UInt32,
  total_cost Float64,
  currency String,
  created_ms UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(renewal_date)
ORDER BY (district_id, alert_id);
