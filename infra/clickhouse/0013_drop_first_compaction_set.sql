-- The first set of the compaction's tables (migrations 0007-0010), neither written nor read since the
-- `_v2` set of 0011 (docs/ARCHITECTURE.md "Rollup compaction"). 0011 left them for an older version
-- still running during that upgrade; this drops them and their disk. A process of a version before 0011
-- must be stopped before this runs (it reads these tables). rollup_compaction_invalidations (0007) is
-- not of the set: both sets count its rows, and it stays.
DROP TABLE IF EXISTS rollup_district_app_daily_compact;
DROP TABLE IF EXISTS rollup_school_app_daily_compact;
DROP TABLE IF EXISTS rollup_class_app_daily_compact;
DROP TABLE IF EXISTS rollup_compactions;
DROP TABLE IF EXISTS rollup_app_counts;
DROP TABLE IF EXISTS rollup_app_months;
DROP TABLE IF EXISTS rollup_app_month_runs;
