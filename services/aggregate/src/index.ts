export { SinkWorker, type SinkStats, type StalledPartition } from './sink-worker';
export { enrichedHandler, deadLetterHandler } from './handlers';
export { claimEvents } from './dedup';
export { usageEventRow, deadLetterRow, toClickHouseDateTime } from './rows';
export { aggregateConfigSchema, loadAggregateConfig, type AggregateConfig } from './config';
export { deriveRollups, derivedRanges, FoldSuperseded, refoldRange } from './rollup-deriver';
export { currentEventsIn, EVENT_COLUMNS } from './current-events';
export { checkSinkSchema, sinkSchemaProblems } from './schema-check';
export { PermanentError, PartitionRefused } from './errors';
