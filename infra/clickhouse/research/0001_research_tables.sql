-- The research database (RESEARCH_DATABASE, default edusage_research): what the read-only researcher
-- user may read. Tables, not views: ClickHouse 18.16 does not let a user restricted to one database read
-- through a view into another. Filled by the jobs service's research refresh (packages/research), one
-- Monday-based week (district-local days) at a time: a refresh builds the week in a staging table of
-- the main database and swaps it in with ALTER TABLE … REPLACE PARTITION, so readers see a week whole
-- or not at all. No person ids, no dates finer than a week. Cells counting 1 ≤ n < k distinct people
-- are suppressed (their measures NULL, suppressed = 1), and cells partitioning a published total are
-- suppressed further where the total would reveal them (docs/DATA_DICTIONARY.md "Suppression").
-- Every column is described in docs/DATA_DICTIONARY.md; a test compares the two.

CREATE TABLE IF NOT EXISTS weekly_app_usage_district (
  week_start Date,
  district_id String,
  app_id String,
  active_students Nullable(UInt32),
  events Nullable(UInt64),
  engaged_hours Nullable(Float64),
  suppressed UInt8,
  k UInt8
) ENGINE = MergeTree
PARTITION BY week_start
ORDER BY (district_id, app_id);

CREATE TABLE IF NOT EXISTS weekly_app_usage_school (
  week_start Date,
  district_id String,
  school_id String,
  app_id String,
  active_students Nullable(UInt32),
  events Nullable(UInt64),
  engaged_hours Nullable(Float64),
  suppressed UInt8,
  k UInt8
) ENGINE = MergeTree
PARTITION BY week_start
ORDER BY (district_id, app_id, school_id);

CREATE TABLE IF NOT EXISTS weekly_app_usage_grade (
  week_start Date,
  district_id String,
  grade String,
  app_id String,
  active_students Nullable(UInt32),
  events Nullable(UInt64),
  engaged_hours Nullable(Float64),
  suppressed UInt8,
  k UInt8
) ENGINE = MergeTree
PARTITION BY week_start
ORDER BY (district_id, app_id, grade);

CREATE TABLE IF NOT EXISTS weekly_license_utilization (
  week_start Date,
  district_id String,
  license_id String,
  app_id String,
  school_id String,
  seats UInt32,
  unlimited_seats UInt8,
  eligible Nullable(UInt32),
  active Nullable(UInt32),
  utilization Nullable(Float64),
  reach Nullable(Float64),
  unused_seats Nullable(UInt32),
  engaged_hours Nullable(Float64),
  eligible_suppressed UInt8,
  active_suppressed UInt8,
  k UInt8
) ENGINE = MergeTree
PARTITION BY week_start
ORDER BY (district_id, license_id);
