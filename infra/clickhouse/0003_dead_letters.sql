-- Dead letters from usage.dlq, stored for the DLQ report (counts by reason) and for replay.
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
  payload String,
  payload_truncated UInt8,
  origin String,
  kafka_topic String,
  kafka_partition UInt32,
  kafka_offset UInt64,
  stored_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(failed_at)
ORDER BY (kafka_topic, kafka_partition, kafka_offset);
