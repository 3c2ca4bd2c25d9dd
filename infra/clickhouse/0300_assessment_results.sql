-- Assessment results (packages/outcomes `outcomes import`): one row per student test, the student only
-- as the roster pseudonym person_id (the same HMAC enrich puts on events); no raw id, name or email.
-- ReplacingMergeTree over the whole identity of a result (district, assessment, subject, student, day,
-- score), so importing the same file again replaces rows with equal rows: read with FINAL and nothing
-- changed. Two different scores of one student on one day are two rows; which one an analysis uses is
-- the documented duplicate rule (docs/ARCHITECTURE.md "Outcomes").
CREATE TABLE IF NOT EXISTS assessment_results (
  district_id String,
  assessment String,
  subject String,
  person_id String,
  test_date Date,
  score Float64,
  window String,
  standard_error Nullable(Float64),
  percentile Nullable(Float64),
  projected_growth Nullable(Float64),
  grade String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(test_date)
ORDER BY (district_id, assessment, subject, person_id, test_date, score);
