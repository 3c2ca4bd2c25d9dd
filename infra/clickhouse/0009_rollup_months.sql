-- The month grain of the rollups (docs/ARCHITECTURE.md "Rollup month grain"), written by each compaction
-- beside its generation: per level, one row per cell without its day and role (district: app; school:
-- school × app; class: school × class × app) and compacted month, with the usage measures of the month.
-- A term of a 50,000-student district merged ~15 M person-app-days for its distinct users and ~31 M
-- person-minutes for its engaged time (6 s); from this grain it merges one state per cell-month and
-- sums numbers.
--   first_day, last_day  the cell's first and last day with events in the month: a window that holds
--                        both gets the same figures from this row as from the cell's days
--   active_days          days with events (> 0)
--   events, explicit_seconds  sums of the month
--   active_minutes       Σ over the days of the distinct person-minutes of the cell on that day (all roles
--                        together): a UTC minute lies in one district-local day, so days add up
--   active_users         the distinct people of the month (all roles), a state: months are merged
--   people               the same, counted (a one-month read reads no state)
-- Only cells with events get a row. The marker (level '', district_id '') is written last: a reader
-- uses a generation's rows only once it sees the marker.
-- Partitioned like the compact tables, by (compacted month, generation): dropped with their generation.
CREATE TABLE IF NOT EXISTS rollup_app_months (
  month UInt32,
  generation UInt64,
  level String,
  district_id String,
  school_id String,
  class_id String,
  app_id String,
  first_day Date,
  last_day Date,
  active_days UInt8,
  events UInt64,
  explicit_seconds UInt64,
  active_minutes UInt64,
  active_users AggregateFunction(uniqExact, String),
  people UInt64
) ENGINE = MergeTree
PARTITION BY (month, generation)
ORDER BY (district_id, level, school_id, class_id, app_id);

-- Distinct people over runs of whole months (docs/ARCHITECTURE.md "Rollup month grain"): a term's distinct
-- users still merged ~2.5 M person-app-months from the month grain (0.45 s); a count per run of months
-- is read for nothing. Each compaction of a month writes, for the district and school levels, every run
-- of consecutive compacted months (at most 12) that holds it, counted from the month grain of the
-- generations named in `generations` (first_month's first); a reader uses a row only while those are
-- the generations it reads. first_day, last_day: the cell's first and last day with events in the run.
-- Partitioned by the month and generation of the compaction that wrote it: dropped with it.
CREATE TABLE IF NOT EXISTS rollup_app_month_runs (
  month UInt32,
  generation UInt64,
  level String,
  district_id String,
  school_id String,
  app_id String,
  first_month UInt32,
  last_month UInt32,
  generations Array(UInt64),
  first_day Date,
  last_day Date,
  active_users UInt64
) ENGINE = MergeTree
PARTITION BY (month, generation)
ORDER BY (district_id, level, first_month, last_month, school_id, app_id);
