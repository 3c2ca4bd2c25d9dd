import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '@edusage/config';

/** Defaults of the HTTP server's request limits (also used when a test builds a server without them). */
export const SERVER_LIMIT_DEFAULTS = {
  INGEST_REQUEST_TIMEOUT_MS: 60_000,
  INGEST_HEADERS_TIMEOUT_MS: 10_000,
  INGEST_IDLE_TIMEOUT_MS: 30_000,
  INGEST_KEEP_ALIVE_TIMEOUT_MS: 65_000,
  INGEST_MAX_CONCURRENT_REQUESTS: 32,
  INGEST_MAX_JSON_DEPTH: 64,
} as const;

/** Environment of the ingest service and its CLI (the base variables plus the ones below). */
export const ingestConfigSchema = baseConfigSchema
  .extend({
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
    /**
     * Most events (items) one API key may send a minute over HTTP, for keys without a limit of their
     * own (`keys limit`); 0 = no limit. Past it the key's requests get 429 until the minute is over.
     */
    INGEST_KEY_EVENTS_PER_MINUTE: z.coerce.number().int().min(0).default(0),
    /** How long an API key lookup (hit or miss) is cached in memory; also how long a revocation may take to bite. */
    INGEST_KEY_CACHE_MS: z.coerce.number().int().min(0).default(30_000),
    /** How long a request waits for Kafka to acknowledge before answering 503. */
    INGEST_PRODUCE_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
    /** Longest time a client may take to send one whole request (headers and body); then 408 and close. */
    INGEST_REQUEST_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(SERVER_LIMIT_DEFAULTS.INGEST_REQUEST_TIMEOUT_MS),
    /** Longest time a client may take to send the request headers. */
    INGEST_HEADERS_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(SERVER_LIMIT_DEFAULTS.INGEST_HEADERS_TIMEOUT_MS),
    /** A socket with no traffic at all for this long is closed. */
    INGEST_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(SERVER_LIMIT_DEFAULTS.INGEST_IDLE_TIMEOUT_MS),
    /** How long an idle keep-alive connection stays open between requests (above a load balancer's 60 s). */
    INGEST_KEEP_ALIVE_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(SERVER_LIMIT_DEFAULTS.INGEST_KEEP_ALIVE_TIMEOUT_MS),
    /** Most requests handled at once, probes aside (bounds memory: each may hold INGEST_MAX_BODY_BYTES); more get 503. */
    INGEST_MAX_CONCURRENT_REQUESTS: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(SERVER_LIMIT_DEFAULTS.INGEST_MAX_CONCURRENT_REQUESTS),
    /** Deepest array/object nesting accepted in a JSON body or NDJSON line; deeper is rejected (400 / that line). */
    INGEST_MAX_JSON_DEPTH: z.coerce
      .number()
      .int()
      .min(4)
      .max(1_000)
      .default(SERVER_LIMIT_DEFAULTS.INGEST_MAX_JSON_DEPTH),
  })
  .refine((c) => c.INGEST_HEADERS_TIMEOUT_MS <= c.INGEST_REQUEST_TIMEOUT_MS, {
    path: ['INGEST_HEADERS_TIMEOUT_MS'],
    message: 'must not be larger than INGEST_REQUEST_TIMEOUT_MS',
  });

export type IngestConfig = z.infer<typeof ingestConfigSchema>;

export function loadIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  return loadConfig(ingestConfigSchema, env);
}
