export { ingestConfigSchema, loadIngestConfig, type IngestConfig } from './config';
export { buildServer, type ServerDeps, type IngestResponse, type RejectedItem } from './server';
export { startIngest, createRedis, type IngestService } from './app';
export {
  ApiKeyStore,
  hashApiKey,
  generateApiKey,
  type ApiKeyRecord,
  type ApiKeyEntry,
  type KeyResolver,
} from './apikeys';
export {
  KafkaSink,
  KafkaUnavailableError,
  MessageTooLargeError,
  readSinkLimits,
  type EventSink,
  type SinkLimits,
} from './sink';
export { createMetrics, type IngestMetrics } from './metrics';
export {
  runImport,
  IMPORT_FORMATS,
  CSV_COLUMNS,
  type ImportOptions,
  type ImportSummary,
  type ImportFormat,
} from './import';
export { replayDeadLetters, summarizeDeadLetters, type ReplaySummary, type DlqTopics } from './dlq/replay';
export { replayLetter, letterFormat, REPLAY_FORMATS, type ReplayFormat, type LetterOutcome } from './dlq/replay-letter';
export { matchesFilter, type DeadLetterFilter } from './dlq/filter';
