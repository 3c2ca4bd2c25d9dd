import { sqlNumber, sqlString } from '@edusage/clickhouse';

/**
 * SQL: the rows of one Kafka partition. Every table the sink reads by partition (usage_events, its
 * revisions, event_claims, rollup_watermarks, rollup_fold_intents, the rollup parts) has these columns,
 * and most have them first in their key.
 */
export const partitionIs = (topic: string, partition: number): string =>
  `kafka_topic = ${sqlString(topic)} AND kafka_partition = ${sqlNumber(partition)}`;
