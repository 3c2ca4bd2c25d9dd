-- A compaction run that finds nothing new in a month writes no generation, so the month's compaction
-- keeps the time it was recorded, possibly hours or months ago. A reader of "as of the compactions"
-- could not tell "nothing new since" from "the jobs service stopped compacting". Each run now records
-- a check of the month's compaction it wrote or found complete: the compaction held everything final
-- when the run took its marks (docs/ARCHITECTURE.md "Reads as of the compactions"). Replacing on the
-- check time keeps one row per generation once merged (a closed month is checked every run, forever);
-- readers take max() all the same. Partitioned like the generation's other rows, so its checks are
-- dropped with it.
CREATE TABLE IF NOT EXISTS rollup_compaction_checks_v2 (
  month UInt32,
  generation UInt64,
  checked_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(checked_at)
PARTITION BY (month, generation)
ORDER BY (month, generation);
