-- Duplicate claims (docs/ARCHITECTURE.md "Duplicate events"): one row per stored event identity, per
-- Kafka partition of usage.enriched, naming the message that owns it (owner_offset in that partition).
-- The aggregate sink looks up a batch's keys here before storing it, and writes the new claims before
-- the events: a redelivered message finds its own offset and proceeds; any other copy is skipped.
-- Copies of an event share their partition (enrich keys usage.enriched by the sender's identifier) and
-- their local day, so a lookup reads one (partition, day) range of the primary key.
-- The dedup_key (32 hex = 128 bits) is stored as two UInt64: 16 bytes, nothing kept in memory per row
-- but the sparse primary index. Partitioned like usage_events, so retention drops both together and
-- the duplicate window is as long as the events are kept. A claim row written twice (a retried INSERT)
-- is harmless: a lookup only asks which offset owns a key.
CREATE TABLE IF NOT EXISTS event_claims (
  kafka_topic String,
  kafka_partition UInt32,
  local_date Date,
  key_hi UInt64,
  key_lo UInt64,
  owner_offset UInt64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(local_date)
ORDER BY (kafka_topic, kafka_partition, local_date, key_hi, key_lo);
