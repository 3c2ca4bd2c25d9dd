-- Enriched usage events as stored by the aggregate sink: one row per event, duplicates already removed.
-- Every row keeps its Kafka coordinates, so the sink can tell what is already stored (exactly-once effect).
-- The only table a sink INSERT writes (one part: atomic); ordered by those coordinates, so "what is
-- stored of this partition from offset X" and the rollup derivation are primary-key range reads.
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
ORDER BY (kafka_topic, kafka_partition, kafka_offset);

-- How far each Kafka partition's events have been folded into the rollups (0002): rows of usage_events
-- with kafka_offset < derived_to are in them. Written after the rollup rows, so it is the commit point
-- of a derivation (docs/ARCHITECTURE.md "Rollups").
CREATE TABLE IF NOT EXISTS rollup_watermarks (
  kafka_topic String,
  kafka_partition UInt32,
  derived_to UInt64,
  derived_at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (kafka_topic, kafka_partition, derived_to);
