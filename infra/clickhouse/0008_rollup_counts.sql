-- Finalized distinct counts of the district and school rollups, written by each compaction beside its generation
-- (docs/ARCHITECTURE.md "Rollup counts"). Merging uniqExact states costs ~100 ns per person in the
-- states, so a term's weekly trend of a 50,000-student district took over a second; a stored count is
-- read for nothing. Counts are only ever added where their sets cannot overlap (days, weeks), and a
-- reader uses a row only while the generations it was made from are the ones it reads.
--   scope        '' = the whole district (from the district level), else a school's sourcedId (from the
--                school level; activity with no school has no school row)
--   span_days 1  one district-local day of the month: distinct people, distinct person-minutes
--   span_days 7  one Monday-starting week: distinct people (active_minutes 0: minutes are per day).
--                A week inside the month is made from `generation`; the week that starts in the
--                month before (prev_generation != 0) also from that month's generation prev_generation.
--   span_days 0  the marker (district_id '', scope '', app_id '') that the generation wrote its counts, with the
--                previous month's generation its crossing week was made from (0: none made). Without a
--                marker (a generation older than this table) a reader merges states as before; with
--                one, a missing row means no use.
-- Partitioned like the compact tables, by the compacted month and generation (a crossing week's
-- Monday lies in the month before): dropped with their generation.
CREATE TABLE IF NOT EXISTS rollup_app_counts (
  month UInt32,
  district_id String,
  scope String,
  span_from Date,
  span_days UInt8,
  app_id String,
  role String,
  generation UInt64,
  prev_generation UInt64,
  active_users UInt64,
  active_minutes UInt64
) ENGINE = MergeTree
PARTITION BY (month, generation)
ORDER BY (district_id, span_days, span_from, scope, app_id, role);
