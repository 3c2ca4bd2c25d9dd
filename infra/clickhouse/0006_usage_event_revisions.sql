-- Late roster (docs/ARCHITECTURE.md "Late roster"): corrected versions of stored usage_events rows.
-- usage_events stays append-only (the sink's exactly-once rules read it); a revision has the same columns
-- and Kafka coordinates as the row it supersedes, plus `revision` (the epoch ms of the roster version that
-- resolved it). The current version of an event = the row of its (topic, partition, offset) with the
-- highest revision (usage_events = revision 0). Inserting the same revision twice is harmless: both rows
-- are equal and readers take one per offset. Nothing raw: person_id is the pseudonym, as in usage_events.
CREATE TABLE IF NOT EXISTS usage_event_revisions (
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
  stored_at DateTime('UTC'),
  revision UInt64,
  roster_version String,
  revised_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(local_date)
ORDER BY (kafka_topic, kafka_partition, kafka_offset, revision);

-- Re-resolution runs whose rollup re-folds finished: a run re-folds the ranges of every revision newer
-- than the district's last finished run, so a run that died before its re-folds is completed by the next.
CREATE TABLE IF NOT EXISTS reresolution_runs (
  district_id String,
  revision UInt64,
  roster_version String,
  revised_events UInt64,
  finished_at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (district_id, revision);
