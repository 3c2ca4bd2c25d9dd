-- Dead letters from usage.dlq, stored for the DLQ report (counts by reason, traced to their origin).
-- The original payload is NOT stored here: rejected input is raw (it may hold names, emails, raw ids)
-- and nothing raw reaches ClickHouse. The payload stays on the usage.dlq topic (for replay) and is
-- identified here by its SHA-256 and size.
-- Ordered by Kafka coordinates: the sink's exactly-once offset check reads this table directly.
CREATE TABLE IF NOT EXISTS dead_letters (
  failed_at DateTime('UTC'),
  stage String,
  source String,
  district_id String,
  reason_code String,
  reason_field String,
  reason_line UInt32,
  reason_message String,
  payload_sha256 String,
  payload_bytes UInt32,
  payload_truncated UInt8,
  origin String,
  kafka_topic String,
  kafka_partition UInt32,
  kafka_offset UInt64,
  stored_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(failed_at)
ORDER BY (kafka_topic, kafka_partition, kafka_offset);
