-- Fold attempts (docs/ARCHITECTURE.md "Rollups", "A late watermark"): each derivation records its
-- attempt before writing rollup rows, numbered after the partition's last one (`attempt`; the
-- derivation's statements of a partition share one query_id, so ClickHouse runs them one at a time
-- and the numbers are unique). A derivation moves the watermark only while its attempt is still the
-- partition's last: a watermark INSERT sent by a worker that has lost the partition (or by an earlier
-- attempt of the same worker) and landing late, after another attempt began, writes nothing, instead
-- of moving the watermark under that attempt's remaining statements. Only the last attempt of a
-- partition matters, so merges keep one row per partition (the highest attempt) and every read of the
-- table stays a few rows.
CREATE TABLE IF NOT EXISTS rollup_fold_intents (
  kafka_topic String,
  kafka_partition UInt32,
  attempt UInt64,
  attempt_id String,
  range_start UInt64,
  range_end UInt64,
  intended_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(attempt)
ORDER BY (kafka_topic, kafka_partition);
