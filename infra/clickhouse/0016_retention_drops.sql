-- Months retention dropped (docs/ARCHITECTURE.md "Retention"), one row per table and month, written
-- just before the DROP PARTITION and never dropped itself. The aggregate sink asks it whether a refused
-- claim's month was dropped ("Duplicate events", refused claims): there the event's row is gone whether
-- or not it was stored later, so its claim keeps owning it and a re-import counts nothing twice.
CREATE TABLE IF NOT EXISTS retention_drops (
  table_name String,
  partition_id String,
  dropped_at DateTime
) ENGINE = MergeTree
ORDER BY (table_name, partition_id);
