import { sqlNumber, sqlString } from '@edusage/clickhouse';
import type { CompactionMark } from './state';

/**
 * SQL: a contribution row's mark, the offset below which its topic-partition was merged (0 for a
 * topic-partition the marks do not name: none of its contributions was merged). Kafka topic names
 * have no ':', so topic:partition names a pair.
 */
export function markOf(marks: readonly CompactionMark[]): string {
  if (marks.length === 0) return 'toUInt64(0)';
  const names = marks.map((m) => sqlString(`${m.topic}:${m.partition}`)).join(', ');
  const offsets = marks.map((m) => `toUInt64(${sqlNumber(BigInt(m.offset))})`).join(', ');
  return `transform(concat(kafka_topic, ':', toString(kafka_partition)), [${names}], [${offsets}], toUInt64(0))`;
}
