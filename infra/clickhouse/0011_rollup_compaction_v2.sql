-- The compaction's tables made again as a second set, `*_v2` (docs/ARCHITECTURE.md "Rollup
-- compaction", docs/BENCHMARKS.md "Report reads over a school year"), so the compacted cells can have
-- index marks every 64 rows (district, school) and 256 rows (class) instead of 8192. A compacted row
-- holds a whole cell-day's states (up to a district's person-minutes of a day), and ClickHouse 18.16
-- reads a column a whole granule at a time: reading one day of a month (the day a newer fold touched,
-- the first days of a 30-day window) deserialized every state of the granules around it, most of the
-- month. A school's cells of one day are ~60 rows, the district's ~80; the class table is the largest
-- (its reads are mostly month rows), so 256 keeps its index small. Current ClickHouse bounds granules
-- by bytes as well; 18.16 does not.
--
-- A table's granularity is fixed when it is created. The new set is empty and separate from the first
-- (0007-0010): its own record of compactions, its own counts, month grain and runs, so a process of
-- this version never reads or drops a generation of the first set and one of an older version (still
-- running during an upgrade, or a read that began before this migration) never reads one of the new
-- set. Nothing is dropped here: each version reads only tables that exist and that it wrote. Until the
-- new set holds a month's compaction, this version reads that month from the contributions (exact,
-- slower); the jobs service compacts at boot when a month has none. The first set is no longer
-- written or read by this version; a later migration drops it.

CREATE TABLE IF NOT EXISTS rollup_district_app_daily_compact_v2 (
  district_id String,
  local_date Date,
  app_id String,
  role String,
  generation UInt64,
  events AggregateFunction(sum, UInt64),
  active_users AggregateFunction(uniqExact, String),
  explicit_seconds AggregateFunction(sum, UInt64),
  active_minutes AggregateFunction(uniqExactIf, String, DateTime('UTC'), UInt8),
  unresolved_person_events AggregateFunction(sum, UInt64),
  unresolved_app_events AggregateFunction(sum, UInt64)
) ENGINE = MergeTree
PARTITION BY (toYYYYMM(local_date), generation)
ORDER BY (district_id, local_date, app_id, role)
SETTINGS index_granularity = 64;

CREATE TABLE IF NOT EXISTS rollup_school_app_daily_compact_v2 (
  district_id String,
  school_id String,
  local_date Date,
  app_id String,
  role String,
  generation UInt64,
  events AggregateFunction(sum, UInt64),
  active_users AggregateFunction(uniqExact, String),
  explicit_seconds AggregateFunction(sum, UInt64),
  active_minutes AggregateFunction(uniqExactIf, String, DateTime('UTC'), UInt8),
  unresolved_person_events AggregateFunction(sum, UInt64),
  unresolved_app_events AggregateFunction(sum, UInt64)
) ENGINE = MergeTree
PARTITION BY (toYYYYMM(local_date), generation)
ORDER BY (district_id, school_id, local_date, app_id, role)
SETTINGS index_granularity = 64;

CREATE TABLE IF NOT EXISTS rollup_class_app_daily_compact_v2 (
  district_id String,
  school_id String,
  class_id String,
  local_date Date,
  app_id String,
  role String,
  generation UInt64,
  events AggregateFunction(sum, UInt64),
  active_users AggregateFunction(uniqExact, String),
  explicit_seconds AggregateFunction(sum, UInt64),
  active_minutes AggregateFunction(uniqExactIf, String, DateTime('UTC'), UInt8),
  unresolved_person_events AggregateFunction(sum, UInt64),
  unresolved_app_events AggregateFunction(sum, UInt64)
) ENGINE = MergeTree
PARTITION BY (toYYYYMM(local_date), generation)
ORDER BY (district_id, school_id, class_id, local_date, app_id, role)
SETTINGS index_granularity = 256;

CREATE TABLE IF NOT EXISTS rollup_compactions_v2 (
  month UInt32,
  generation UInt64,
  invalidations UInt64,
  mark_topics Array(String),
  mark_partitions Array(UInt32),
  mark_offsets Array(UInt64),
  compacted_at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (month, generation);

CREATE TABLE IF NOT EXISTS rollup_app_counts_v2 (
  month UInt32,
  district_id String,
  scope String,
  span_from Date,
  span_days UInt8,
  app_id String,
  role String,
  generation UInt64,
  prev_generation UInt64,
  active_users UInt64,
  active_minutes UInt64
) ENGINE = MergeTree
PARTITION BY (month, generation)
ORDER BY (district_id, span_days, span_from, scope, app_id, role);

CREATE TABLE IF NOT EXISTS rollup_app_months_v2 (
  month UInt32,
  generation UInt64,
  level String,
  district_id String,
  school_id String,
  class_id String,
  app_id String,
  first_day Date,
  last_day Date,
  active_days UInt8,
  events UInt64,
  explicit_seconds UInt64,
  active_minutes UInt64,
  active_users AggregateFunction(uniqExact, String),
  people UInt64
) ENGINE = MergeTree
PARTITION BY (month, generation)
ORDER BY (district_id, level, school_id, class_id, app_id);

CREATE TABLE IF NOT EXISTS rollup_app_month_runs_v2 (
  month UInt32,
  generation UInt64,
  level String,
  district_id String,
  school_id String,
  app_id String,
  first_month UInt32,
  last_month UInt32,
  generations Array(UInt64),
  first_day Date,
  last_day Date,
  active_users UInt64,
  users_state AggregateFunction(uniqExact, String),
  has_state UInt8
) ENGINE = MergeTree
PARTITION BY (month, generation)
ORDER BY (district_id, level, first_month, last_month, school_id, app_id);
