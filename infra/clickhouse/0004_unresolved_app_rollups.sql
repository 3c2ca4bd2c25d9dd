-- Events whose app the catalog did not know (app_resolved = 0) as a rollup measure, so reports count
-- every unresolved app: an unknown explicit app_id as well as `domain:<host>`. Rows folded before this
-- migration have an empty state (0): re-derive them if their unresolved-app counts matter.
-- 18.16 has no DROP VIEW: DROP TABLE drops a view on both 18.16 and current ClickHouse.
ALTER TABLE rollup_district_app_daily_parts ADD COLUMN unresolved_app_events AggregateFunction(sum, UInt64);
ALTER TABLE rollup_school_app_daily_parts ADD COLUMN unresolved_app_events AggregateFunction(sum, UInt64);
ALTER TABLE rollup_class_app_daily_parts ADD COLUMN unresolved_app_events AggregateFunction(sum, UInt64);

DROP TABLE IF EXISTS rollup_district_app_daily;
CREATE VIEW IF NOT EXISTS rollup_district_app_daily AS
SELECT district_id, local_date, app_id, role, events, active_users, explicit_seconds, active_minutes, unresolved_person_events, unresolved_app_events
FROM rollup_district_app_daily_parts FINAL;

DROP TABLE IF EXISTS rollup_school_app_daily;
CREATE VIEW IF NOT EXISTS rollup_school_app_daily AS
SELECT district_id, school_id, local_date, app_id, role, events, active_users, explicit_seconds, active_minutes, unresolved_person_events, unresolved_app_events
FROM rollup_school_app_daily_parts FINAL;

DROP TABLE IF EXISTS rollup_class_app_daily;
CREATE VIEW IF NOT EXISTS rollup_class_app_daily AS
SELECT district_id, school_id, class_id, local_date, app_id, role, events, active_users, explicit_seconds, active_minutes, unresolved_person_events, unresolved_app_events
FROM rollup_class_app_daily_parts FINAL;
