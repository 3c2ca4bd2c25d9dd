-- Corrected results (packages/outcomes): the time (ms) of the import that stored a row. A later import's
-- results of one student, assessment, subject and test day replace the earlier imports' results of that
-- day in every analysis (packages/outcomes usage.ts `dayResults`); its other days are untouched.
-- Rows stored before this column have 0 (older than any import).
ALTER TABLE assessment_results ADD COLUMN imported_ms UInt64;
