-- Requests whose client left before the answer was complete (a CSV download abandoned midway, a
-- connection dropped while the query ran): written when the client leaves, with aborted = 1, the status
-- sent if the answer had begun (0 when none was) and the duration until then. Rows written before this
-- column have 0 (such requests were not audited then).
ALTER TABLE api_audit_log ADD COLUMN aborted UInt8 DEFAULT 0;
