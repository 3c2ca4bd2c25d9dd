-- Per local day rollups at three levels: district × app, school × app, classroom × app (and role).
-- Measures (see docs/ARCHITECTURE.md "Metric rules"):
--   events            number of stored (de-duplicated) events
--   active_users      distinct person_id
--   explicit_seconds  sum of explicit durations
--   active_minutes    distinct (person_id, UTC minute) among hit-style events; engaged seconds =
--                     explicit_seconds + 60 × active_minutes
--   unresolved_person_events  events whose person is not in the roster
-- Read with the -Merge combinators, e.g. uniqExactMerge(active_users).
-- school_id = '' means no school could be attributed (district level only).
CREATE TABLE IF NOT EXISTS rollup_district_app_daily (
  district_id String,
  local_date Date,
  app_id String,
  role String,
  events AggregateFunction(sum, UInt64),
  active_users AggregateFunction(uniqExact, String),
  explicit_seconds AggregateFunction(sum, UInt64),
  active_minutes AggregateFunction(uniqExactIf, String, DateTime('UTC'), UInt8),
  unresolved_person_events AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(local_date)
ORDER BY (district_id, local_date, app_id, role);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_district_app_daily TO rollup_district_app_daily AS
SELECT
  district_id, local_date, app_id, role,
  sumState(toUInt64(1)) AS events,
  uniqExactState(person_id) AS active_users,
  sumState(toUInt64(explicit_seconds)) AS explicit_seconds,
  uniqExactIfState(person_id, toStartOfMinute(occurred_at), counts_minute) AS active_minutes,
  sumState(toUInt64(1 - person_resolved)) AS unresolved_person_events
FROM usage_events
GROUP BY district_id, local_date, app_id, role;

CREATE TABLE IF NOT EXISTS rollup_school_app_daily (
  district_id String,
  school_id String,
  local_date Date,
  app_id String,
  role String,
  events AggregateFunction(sum, UInt64),
  active_users AggregateFunction(uniqExact, String),
  explicit_seconds AggregateFunction(sum, UInt64),
  active_minutes AggregateFunction(uniqExactIf, String, DateTime('UTC'), UInt8),
  unresolved_person_events AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(local_date)
ORDER BY (district_id, school_id, local_date, app_id, role);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_school_app_daily TO rollup_school_app_daily AS
SELECT
  district_id, school_id, local_date, app_id, role,
  sumState(toUInt64(1)) AS events,
  uniqExactState(person_id) AS active_users,
  sumState(toUInt64(explicit_seconds)) AS explicit_seconds,
  uniqExactIfState(person_id, toStartOfMinute(occurred_at), counts_minute) AS active_minutes,
  sumState(toUInt64(1 - person_resolved)) AS unresolved_person_events
FROM usage_events
GROUP BY district_id, school_id, local_date, app_id, role;

CREATE TABLE IF NOT EXISTS rollup_class_app_daily (
  district_id String,
  school_id String,
  class_id String,
  local_date Date,
  app_id String,
  role String,
  events AggregateFunction(sum, UInt64),
  active_users AggregateFunction(uniqExact, String),
  explicit_seconds AggregateFunction(sum, UInt64),
  active_minutes AggregateFunction(uniqExactIf, String, DateTime('UTC'), UInt8),
  unresolved_person_events AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(local_date)
ORDER BY (district_id, school_id, class_id, local_date, app_id, role);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_class_app_daily TO rollup_class_app_daily AS
SELECT
  district_id, school_id, class_id, local_date, app_id, role,
  sumState(toUInt64(1)) AS events,
  uniqExactState(person_id) AS active_users,
  sumState(toUInt64(explicit_seconds)) AS explicit_seconds,
  uniqExactIfState(person_id, toStartOfMinute(occurred_at), counts_minute) AS active_minutes,
  sumState(toUInt64(1 - person_resolved)) AS unresolved_person_events
FROM usage_events
WHERE class_id != ''
GROUP BY district_id, school_id, class_id, local_date, app_id, role;
