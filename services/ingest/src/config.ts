import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '@edusage/config';

/** Environment of the ingest service and its CLI (the base variables plus the ones below). */
export const ingestConfigSchema = baseConfigSchema.extend({
  /** TCP port of the HTTP API (0 = any free port, used by tests). */
  INGEST_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  INGEST_HOST: z.string().min(1).default('127.0.0.1'),
  /** Largest request body accepted, in bytes; larger ones get 413 before they are read. */
  INGEST_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(5 * 1024 * 1024),
  /** Most events (array items, envelope data items, NDJSON lines) in one request; more gets 413. */
  INGEST_MAX_ITEMS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** How long an API key lookup (hit or miss) is cached in memory; also how long a revocation may take to bite. */
  INGEST_KEY_CACHE_MS: z.coerce.number().int().min(0).default(30_000),
  /** How long a request waits for Kafka to acknowledge before answering 503. */
  INGEST_PRODUCE_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
});

export type IngestConfig = z.infer<typeof ingestConfigSchema>;

export function loadIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  return loadConfig(ingestConfigSchema, env);
}
