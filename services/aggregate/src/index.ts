export { SinkWorker, type SinkStats } from './sink-worker';
export { enrichedHandler, deadLetterHandler } from './handlers';
export { claimEvents } from './dedup';
export { usageEventRow, deadLetterRow, toClickHouseDateTime } from './rows';
export { aggregateConfigSchema, loadAggregateConfig, type AggregateConfig } from './config';
export { deriveRollups } from './rollup-deriver';
