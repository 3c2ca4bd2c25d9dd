import { sqlNumber, sqlString } from '@edusage/clickhouse';
import type { CompactionMark } from './state';

/**
 * SQL: a contribution row's mark, the offset below which its topic-partition was merged (0 for a
 * topic-partition the marks do not name: none of its contributions was merged). Per topic a
 * transform of the partition number: a string built per row (topic:partition) cost ~3× as much
 * (71 ms against 23 ms for a PREWHERE over a month of the benchmark's school rollup, 2026-12-04).
 */
export function markOf(marks: readonly CompactionMark[]): string {
  if (marks.length === 0) return 'toUInt64(0)';
  const topics = [...new Set(marks.map((m) => m.topic))];
  const branches = topics.map((topic) => {
    const own = marks.filter((m) => m.topic === topic);
    const partitions = own.map((m) => `toUInt32(${sqlNumber(m.partition)})`).join(', ');
    const offsets = own.map((m) => `toUInt64(${sqlNumber(BigInt(m.offset))})`).join(', ');
    return `kafka_topic = ${sqlString(topic)}, transform(kafka_partition, [${partitions}], [${offsets}], toUInt64(0))`;
  });
  return `multiIf(${branches.join(', ')}, toUInt64(0))`;
}
