-- Refused claims (docs/ARCHITECTURE.md "Duplicate events"): a claim is written before its event is
-- stored, so a row ClickHouse refuses (sent to the dead letters) leaves a claim naming a message that
-- stored nothing. The sink then writes the same claim again with refused = 1, and a lookup skips owners
-- that have such a row (unless their row was stored after all, or retention dropped their month): a
-- copy of the event re-sent later (a `dlq replay` once the cause is fixed) owns it and is stored, where
-- it used to be taken for a duplicate and dropped. Rows written before this migration have 0.
-- refused_at: when (the server's clock), compared with retention's drops of the month (0016).
ALTER TABLE event_claims ADD COLUMN refused UInt8 DEFAULT 0;
ALTER TABLE event_claims ADD COLUMN refused_at DateTime('UTC');
