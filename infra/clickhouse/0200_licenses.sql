-- License inventory and app approvals of a district, written by `licenses import` and `approvals import`
-- (packages/licenses). Each import writes all its rows under a new version and then records the version
-- in license_import_versions, which makes it current for the *_current views (so a reader never sees
-- half an import); the district's other versions are dropped afterwards. kind = 'licenses' | 'approvals'.

CREATE TABLE IF NOT EXISTS license_import_versions (
  district_id String,
  kind String,
  version String,
  imported_ms UInt64,
  imported_at DateTime('UTC'),
  source_file String,
  accepted_rows UInt32,
  rejected_rows UInt32
) ENGINE = MergeTree
ORDER BY (district_id, kind, imported_ms);

-- One row per license. school_id '' = district-wide; seats 0 with unlimited_seats = 1 = unlimited;
-- cost is per cost_basis ('flat' for the term, 'per_seat', 'per_student'); audience_roles are roster
-- roles ('student', 'teacher'); grades empty = every grade.
CREATE TABLE IF NOT EXISTS licenses (
  district_id String,
  version String,
  license_id String,
  app_id String,
  vendor String,
  school_id String,
  seats UInt32,
  unlimited_seats UInt8,
  cost Float64,
  cost_basis String,
  currency String,
  term_start Date,
  term_end Date,
  renewal_date String,
  audience String,
  audience_roles Array(String),
  grades Array(String),
  notes String
) ENGINE = MergeTree
PARTITION BY (district_id, version)
ORDER BY (district_id, license_id);

-- One row per reviewed app: status 'approved' | 'pending' | 'denied' | 'not_reviewed'; DPA dates YYYY-MM-DD or ''.
CREATE TABLE IF NOT EXISTS app_approvals (
  district_id String,
  version String,
  app_id String,
  status String,
  dpa_signed_on String,
  dpa_expires_on String,
  note String
) ENGINE = MergeTree
PARTITION BY (district_id, version)
ORDER BY (district_id, app_id);

CREATE VIEW IF NOT EXISTS licenses_current AS
SELECT * FROM licenses
WHERE (district_id, version) IN (SELECT district_id, argMax(version, imported_ms) FROM license_import_versions WHERE kind = 'licenses' GROUP BY district_id);

CREATE VIEW IF NOT EXISTS app_approvals_current AS
SELECT * FROM app_approvals
WHERE (district_id, version) IN (SELECT district_id, argMax(version, imported_ms) FROM license_import_versions WHERE kind = 'approvals' GROUP BY district_id);
