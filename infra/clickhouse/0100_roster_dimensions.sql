-- Roster dimensions, written by `enrich roster import` (services/enrich). Each import writes every
-- table under a new roster_version and then records the version in dim_roster_versions; the old
-- version's partitions are dropped afterwards. Queries use the *_current views (latest version per
-- district). No names, emails or raw person ids: people appear only as the HMAC pseudonym person_id,
-- the same one enrich puts on events.

-- One row per completed import; the latest per district (by imported_ms) is the current roster.
CREATE TABLE IF NOT EXISTS dim_roster_versions (
  district_id String,
  roster_version String,
  imported_ms UInt64,
  imported_at DateTime('UTC'),
  oneroster_version String,
  orgs UInt32,
  classes UInt32,
  people UInt32,
  enrollments UInt32
) ENGINE = MergeTree
ORDER BY (district_id, imported_ms);

-- Orgs of the roster (schools, and also districts/departments: see org_type).
CREATE TABLE IF NOT EXISTS dim_schools (
  district_id String,
  roster_version String,
  school_id String,
  name String,
  org_type String,
  parent_id String,
  status String
) ENGINE = MergeTree
PARTITION BY (district_id, roster_version)
ORDER BY (district_id, school_id);

-- Classes with their course, school and the apps their course uses (course_apps.csv).
CREATE TABLE IF NOT EXISTS dim_classes (
  district_id String,
  roster_version String,
  class_id String,
  title String,
  class_type String,
  course_id String,
  course_title String,
  course_code String,
  school_id String,
  grades Array(String),
  term_ids Array(String),
  app_ids Array(String),
  students UInt32,
  teachers UInt32,
  status String
) ENGINE = MergeTree
PARTITION BY (district_id, roster_version)
ORDER BY (district_id, class_id);

-- People by pseudonym: role, first grade, their only school (school_id, '' if none or several) and all schools.
CREATE TABLE IF NOT EXISTS dim_people (
  district_id String,
  roster_version String,
  person_id String,
  role String,
  grade String,
  school_id String,
  school_ids Array(String),
  enabled UInt8,
  status String
) ENGINE = MergeTree
PARTITION BY (district_id, roster_version)
ORDER BY (district_id, person_id);

-- Class membership by pseudonym (denominators for per-class utilization). Dates are YYYY-MM-DD or ''.
CREATE TABLE IF NOT EXISTS dim_enrollments (
  district_id String,
  roster_version String,
  class_id String,
  person_id String,
  role String,
  is_primary UInt8,
  begin_date String,
  end_date String,
  status String
) ENGINE = MergeTree
PARTITION BY (district_id, roster_version)
ORDER BY (district_id, class_id, person_id);

CREATE VIEW IF NOT EXISTS dim_schools_current AS
SELECT * FROM dim_schools
WHERE (district_id, roster_version) IN (SELECT district_id, argMax(roster_version, imported_ms) FROM dim_roster_versions GROUP BY district_id);

CREATE VIEW IF NOT EXISTS dim_classes_current AS
SELECT * FROM dim_classes
WHERE (district_id, roster_version) IN (SELECT district_id, argMax(roster_version, imported_ms) FROM dim_roster_versions GROUP BY district_id);

CREATE VIEW IF NOT EXISTS dim_people_current AS
SELECT * FROM dim_people
WHERE (district_id, roster_version) IN (SELECT district_id, argMax(roster_version, imported_ms) FROM dim_roster_versions GROUP BY district_id);

CREATE VIEW IF NOT EXISTS dim_enrollments_current AS
SELECT * FROM dim_enrollments
WHERE (district_id, roster_version) IN (SELECT district_id, argMax(roster_version, imported_ms) FROM dim_roster_versions GROUP BY district_id);
