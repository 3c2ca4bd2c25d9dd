import { sqlNumber } from '@edusage/clickhouse';
import { partitionIs } from './partition-sql';

/** The columns usage_events and usage_event_revisions share (infra/clickhouse 0001, 0006). */
export const EVENT_COLUMNS = `district_id, local_date, occurred_at, school_id, class_id, class_attribution,
  person_id, person_resolved, role, app_id, app_resolved, app_domain, source, event_type, campus,
  explicit_seconds, counts_minute, event_id, dedup_key, kafka_topic, kafka_partition, kafka_offset, stored_at`;

/**
 * A subquery giving the current version of every stored event of one partition with an offset in
 * [from, to): the usage_events row (revision 0) or its latest revision (docs/ARCHITECTURE.md "Late
 * roster"), one row per offset. Both tables are read by a primary-key range.
 */
export function currentEventsIn(topic: string, partition: number, from: bigint, to: bigint): string {
  const range = `${partitionIs(topic, partition)}
    AND kafka_offset >= ${sqlNumber(from)} AND kafka_offset < ${sqlNumber(to)}`;
  return `(SELECT * FROM (
      SELECT ${EVENT_COLUMNS}, toUInt64(0) AS revision FROM usage_events WHERE ${range}
      UNION ALL
      SELECT ${EVENT_COLUMNS}, revision FROM usage_event_revisions WHERE ${range})
    ORDER BY kafka_offset, revision DESC LIMIT 1 BY kafka_offset)`;
}
