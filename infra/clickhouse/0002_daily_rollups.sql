-- Per local day rollups at three levels: district × app, school × app, classroom × app (and role).
-- Measures (see docs/ARCHITECTURE.md "Metric rules"):
--   events            number of stored (de-duplicated) events
--   active_users      distinct person_id
--   explicit_seconds  sum of explicit durations
--   active_minutes    distinct (person_id, UTC minute) among hit-style events; engaged seconds =
--                     explicit_seconds + 60 × active_minutes
--   unresolved_person_events  events whose person is not in the roster
-- Read the views rollup_<level>_app_daily with the -Merge combinators, e.g. uniqExactMerge(active_users).
-- school_id = '' means no school could be attributed (district level only).
--
-- How they are filled (not by materialized views, whose fan-out is not atomic): the aggregate sink
-- derives them from usage_events per Kafka partition and offset range [range_start, range_end)
-- (INSERT ... SELECT), then records range_end in rollup_watermarks. The *_parts tables are
-- ReplacingMergeTree(range_end) keyed by the cell and the range start, so a derivation repeated after a
-- crash (same start, same or larger end) replaces its earlier rows instead of adding to them; the views
-- read them with FINAL so only the latest version of each contribution counts.

CREATE TABLE IF NOT EXISTS rollup_district_app_daily_parts (
  district_id String,
  local_date Date,
  app_id String,
  role String,
  kafka_topic String,
  kafka_partition UInt32,
  range_start UInt64,
  range_end UInt64,
  events AggregateFunction(sum, UInt64),
  active_users AggregateFunction(uniqExact, String),
  explicit_seconds AggregateFunction(sum, UInt64),
  active_minutes AggregateFunction(uniqExactIf, String, DateTime('UTC'), UInt8),
  unresolved_person_events AggregateFunction(sum, UInt64)
) ENGINE = ReplacingMergeTree(range_end)
PARTITION BY toYYYYMM(local_date)
ORDER BY (district_id, local_date, app_id, role, kafka_topic, kafka_partition, range_start);

CREATE VIEW IF NOT EXISTS rollup_district_app_daily AS
SELECT district_id, local_date, app_id, role, events, active_users, explicit_seconds, active_minutes, unresolved_person_events
FROM rollup_district_app_daily_parts FINAL;

CREATE TABLE IF NOT EXISTS rollup_school_app_daily_parts (
  district_id String,
  school_id String,
  local_date Date,
  app_id String,
  role String,
  kafka_topic String,
  kafka_partition UInt32,
  range_start UInt64,
  range_end UInt64,
  events AggregateFunction(sum, UInt64),
  active_users AggregateFunction(uniqExact, String),
  explicit_seconds AggregateFunction(sum, UInt64),
  active_minutes AggregateFunction(uniqExactIf, String, DateTime('UTC'), UInt8),
  unresolved_person_events AggregateFunction(sum, UInt64)
) ENGINE = ReplacingMergeTree(range_end)
PARTITION BY toYYYYMM(local_date)
ORDER BY (district_id, school_id, local_date, app_id, role, kafka_topic, kafka_partition, range_start);

CREATE VIEW IF NOT EXISTS rollup_school_app_daily AS
SELECT district_id, school_id, local_date, app_id, role, events, active_users, explicit_seconds, active_minutes, unresolved_person_events
FROM rollup_school_app_daily_parts FINAL;

CREATE TABLE IF NOT EXISTS rollup_class_app_daily_parts (
  district_id String,
  school_id String,
  class_id String,
  local_date Date,
  app_id String,
  role String,
  kafka_topic String,
  kafka_partition UInt32,
  range_start UInt64,
  range_end UInt64,
  events AggregateFunction(sum, UInt64),
  active_users AggregateFunction(uniqExact, String),
  explicit_seconds AggregateFunction(sum, UInt64),
  active_minutes AggregateFunction(uniqExactIf, String, DateTime('UTC'), UInt8),
  unresolved_person_events AggregateFunction(sum, UInt64)
) ENGINE = ReplacingMergeTree(range_end)
PARTITION BY toYYYYMM(local_date)
ORDER BY (district_id, school_id, class_id, local_date, app_id, role, kafka_topic, kafka_partition, range_start);

CREATE VIEW IF NOT EXISTS rollup_class_app_daily AS
SELECT district_id, school_id, class_id, local_date, app_id, role, events, active_users, explicit_seconds, active_minutes, unresolved_person_events
FROM rollup_class_app_daily_parts FINAL;
