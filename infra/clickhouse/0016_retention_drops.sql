-- Months retention dropped (docs/ARCHITECTURE.md "Retention"), never dropped itself: per table and
-- month, a row with done = 0 just before the DROP PARTITION and one with done = 1 once it succeeded.
-- The aggregate sink asks it whether a refused claim's row may have been stored and then dropped
-- ("Duplicate events", refused claims): a month dropped after the refusal.
CREATE TABLE IF NOT EXISTS retention_drops (
  table_name String,
  partition_id String,
  dropped_at DateTime('UTC'),
  done UInt8
) ENGINE = MergeTree
ORDER BY (table_name, partition_id);
