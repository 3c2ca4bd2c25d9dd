-- Enriched usage events as stored by the aggregate sink: one row per event, duplicates already removed.
-- Every row keeps its Kafka coordinates, so the sink can tell what is already stored (exactly-once effect).
-- Times are UTC; local_date is the district's local calendar day, computed in enrich.
CREATE TABLE IF NOT EXISTS usage_events (
  district_id String,
  local_date Date,
  occurred_at DateTime('UTC'),
  school_id String,
  class_id String,
  class_attribution Enum8('none' = 0, 'explicit' = 1, 'inferred' = 2),
  person_id String,
  person_resolved UInt8,
  role String,
  app_id String,
  app_resolved UInt8,
  app_domain String,
  source String,
  event_type String,
  campus Enum8('unknown' = 0, 'on' = 1, 'off' = 2),
  explicit_seconds UInt32,
  counts_minute UInt8,
  event_id String,
  dedup_key String,
  kafka_topic String,
  kafka_partition UInt32,
  kafka_offset UInt64,
  stored_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(local_date)
ORDER BY (district_id, local_date, app_id, school_id, class_id);

-- Which Kafka offsets are stored, ordered for a fast look-up by partition after a reassignment.
-- Fed by the same INSERT as usage_events (materialized view). It can disagree with usage_events only if
-- the server dies between writing the two parts (docs/ARCHITECTURE.md, "Known gap").
CREATE TABLE IF NOT EXISTS sink_offsets (
  kafka_topic String,
  kafka_partition UInt32,
  kafka_offset UInt64,
  stored_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(stored_at)
ORDER BY (kafka_topic, kafka_partition, kafka_offset);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_sink_offsets TO sink_offsets AS
SELECT kafka_topic, kafka_partition, kafka_offset, stored_at FROM usage_events;
