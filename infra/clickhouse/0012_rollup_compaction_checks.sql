-- A compaction run that finds nothing new in a month writes no generation, so the month's compaction
-- keeps the time it was recorded, possibly hours or months ago. A reader of "as of the compactions"
-- could not tell "nothing new since" from "the jobs service stopped compacting". Each such run now
-- records the check: the month's compaction held everything final when the run took its marks
-- (docs/ARCHITECTURE.md "Reads as of the compactions"). Partitioned like the generation's other rows,
-- so its checks are dropped with it.
CREATE TABLE IF NOT EXISTS rollup_compaction_checks_v2 (
  month UInt32,
  generation UInt64,
  checked_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY (month, generation)
ORDER BY (month, generation, checked_at);
