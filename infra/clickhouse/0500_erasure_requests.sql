-- People whose data was erased at the district's request (`enrich people erase`, docs/ARCHITECTURE.md
-- "Erasing a person"): one row per person named, when asked (finished 0) and when their stored data was
-- removed (finished 1; finished_by: the request whose run finished it, this one or a later one that
-- found it stopped midway). No raw id: person_ids are the keyed pseudonyms of the person's identifiers
-- (roster sourcedId, email, username) as enrich computes them. These rows are what keeps the person out:
-- enrich drops their later events (its list in Redis is written again from here by every
-- `people erase`), so retention never drops this table.
CREATE TABLE IF NOT EXISTS person_erasures (
  district_id String,
  request_id String,
  person_ids Array(String),
  requested_at DateTime('UTC'),
  finished UInt8,
  finished_by String,
  erased_events UInt64,
  erased_results UInt64
) ENGINE = MergeTree
ORDER BY (district_id, request_id, finished);

-- The Kafka offsets (usage.enriched) of the events an erasure deletes, recorded before the deletion: the
-- rollup ranges holding them are folded again, also by a later run when this one stopped midway.
CREATE TABLE IF NOT EXISTS person_erasure_offsets (
  district_id String,
  request_id String,
  kafka_topic String,
  kafka_partition UInt32,
  kafka_offset UInt64
) ENGINE = MergeTree
ORDER BY (district_id, request_id, kafka_topic, kafka_partition, kafka_offset);
