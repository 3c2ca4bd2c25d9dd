-- Publications (packages/research publish.ts, refresh.ts): one row each time a period of a research
-- table was written (REPLACE PARTITION), so the scheduled refresh publishes a settled week or a closed
-- school year once and never again, and a researcher can tell which version of a period they hold.
-- Columns: docs/DATA_DICTIONARY.md.
CREATE TABLE IF NOT EXISTS publications (
  table_name String,
  period String,
  published_at DateTime,
  rows UInt64,
  k UInt8,
  trigger String
) ENGINE = MergeTree
ORDER BY (table_name, period, published_at);
