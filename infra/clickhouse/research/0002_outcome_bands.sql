-- Outcome bands (packages/research outcome-bands.ts over packages/outcomes): per school year (July to
-- June), district, licensed app, assessment and subject, the students with a pre and a post test in the
-- year by dosage band of the app between their tests (none / below_goal / at_goal against a weekly goal
-- of engaged minutes), with the band's size and mean scores; bands are suppressed by packages/outcomes'
-- rule (bandTable). Rebuilt one school year at a time (REPLACE PARTITION). Columns:
-- docs/DATA_DICTIONARY.md.
CREATE TABLE IF NOT EXISTS outcome_bands (
  school_year String,
  district_id String,
  app_id String,
  assessment String,
  subject String,
  goal_minutes_per_week Float64,
  band String,
  students Nullable(UInt32),
  mean_pre Nullable(Float64),
  mean_post Nullable(Float64),
  mean_growth Nullable(Float64),
  growth_ci_low Nullable(Float64),
  growth_ci_high Nullable(Float64),
  suppressed UInt8,
  k UInt8
) ENGINE = MergeTree
PARTITION BY school_year
ORDER BY (district_id, app_id, assessment, subject, band);
