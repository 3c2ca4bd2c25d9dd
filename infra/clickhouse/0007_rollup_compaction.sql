-- Compacted rollups (docs/ARCHITECTURE.md "Rollup compaction"). The sink writes one contribution row
-- per cell per folded offset range into rollup_<level>_app_daily_parts; a year of batches is read
-- slowly (every row, FINAL). Compaction merges, per month, every contribution of a range that is
-- final (its start below the partition's watermark, which no fold ever goes back under) into one row
-- per cell, written as a new generation beside the previous one:
--   rollup_<level>_app_daily_compact  the merged cells of (month, generation); a partition each, so an
--                                     old generation is dropped whole
--   rollup_compactions                one row per finished (month, generation): the marks (per Kafka
--                                     topic and partition, the watermark it merged up to) and the
--                                     count of invalidations it saw when it started
--   rollup_compaction_invalidations   one row per re-fold (late roster) that rewrote ranges below
--                                     the marks: a compaction that started before it is not used
-- A reader takes, per month, the newest valid compaction's rows plus the contributions at or above
-- its marks (FINAL); a month without one is read from the contributions alone, as before.

CREATE TABLE IF NOT EXISTS rollup_district_app_daily_compact (
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
ORDER BY (district_id, local_date, app_id, role);

CREATE TABLE IF NOT EXISTS rollup_school_app_daily_compact (
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
ORDER BY (district_id, school_id, local_date, app_id, role);

CREATE TABLE IF NOT EXISTS rollup_class_app_daily_compact (
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
ORDER BY (district_id, school_id, class_id, local_date, app_id, role);

CREATE TABLE IF NOT EXISTS rollup_compactions (
  month UInt32,
  generation UInt64,
  invalidations UInt64,
  mark_topics Array(String),
  mark_partitions Array(UInt32),
  mark_offsets Array(UInt64),
  compacted_at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (month, generation);

CREATE TABLE IF NOT EXISTS rollup_compaction_invalidations (
  invalidated_at DateTime('UTC'),
  reason String
) ENGINE = MergeTree
ORDER BY invalidated_at;
