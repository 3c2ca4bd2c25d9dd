-- Written by the API service (services/api): one row per request, whatever its answer (401, 403, 429
-- included). token_id is 12 hex digits of the token's SHA-256 ('' without a valid token); the token
-- itself is never stored. params = the request's query, path parameters and body as JSON (truncated).
CREATE TABLE IF NOT EXISTS api_audit_log (
  at DateTime('UTC'),
  at_ms UInt64,
  request_id String,
  token_id String,
  role String,
  district_id String,
  method String,
  route String,
  params String,
  status UInt16,
  duration_ms UInt32,
  ip String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (district_id, at, request_id);
