import { sqlDate, sqlString } from '@edusage/clickhouse';

/** Stored events of district-local days [from, to], optionally of one district. */
export interface EventDays {
  from: string;
  to: string;
  districtId?: string;
}

/**
 * A subquery giving the current version of every stored event with a local day in [from, to]:
 * usage_events (revision 0) UNION ALL its late-roster revisions (docs/ARCHITECTURE.md "Late roster"),
 * one row per Kafka coordinate, the highest revision. The rule of services/aggregate `currentEventsIn`
 * (which the rollup fold reads) over days instead of one partition's offsets: a row stored twice after
 * a crash counts once, and corrected values count, so figures from here agree with the rollups'.
 * `columns` must not name kafka_topic, kafka_partition, kafka_offset or revision (always included).
 * The day filter is on `local_date`, the partition key: only the period's months are read.
 */
export function currentEventsOfDays(days: EventDays, columns: readonly string[]): string {
  const cols = [...columns, 'kafka_topic', 'kafka_partition', 'kafka_offset'].join(', ');
  const filter = [
    `local_date >= ${sqlDate(days.from)} AND local_date <= ${sqlDate(days.to)}`,
    ...(days.districtId === undefined ? [] : [`district_id = ${sqlString(days.districtId)}`]),
  ].join(' AND ');
  return `(SELECT * FROM (
      SELECT ${cols}, toUInt64(0) AS revision FROM usage_events WHERE ${filter}
      UNION ALL
      SELECT ${cols}, revision FROM usage_event_revisions WHERE ${filter})
    ORDER BY kafka_topic, kafka_partition, kafka_offset, revision DESC
    LIMIT 1 BY kafka_topic, kafka_partition, kafka_offset)`;
}
