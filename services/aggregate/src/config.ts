import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '@edusage/config';

export const aggregateConfigSchema = baseConfigSchema.extend({
  AGGREGATE_GROUP_ID: z.string().min(1).default('edusage-aggregate'),
  /** Bytes fetched per partition per request: bounds one INSERT's size and the worker's memory. */
  AGGREGATE_MAX_BYTES_PER_PARTITION: z.coerce
    .number()
    .int()
    .min(65_536)
    .default(1024 * 1024),
  /**
   * Bytes one fetch response may carry over all its partitions (kafkajs' maxBytes, its default). 2 MiB
   * kept the worker ~20 MiB lower and drained a backlog up to a fifth slower (docs/BENCHMARKS.md).
   */
  AGGREGATE_FETCH_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .default(10 * 1024 * 1024),
  /**
   * A fetch may wait until this many bytes are there (or AGGREGATE_FETCH_MAX_WAIT_MS passed): each
   * INSERT writes five parts (table + views) whatever its size, so a district with a slow trickle of
   * events can trade latency for fewer INSERTs. Default: answer as soon as anything is there.
   */
  AGGREGATE_FETCH_MIN_BYTES: z.coerce.number().int().min(1).default(1),
  /**
   * Upper bound on the wait above; also how long an idle worker's fetch waits at the broker, and so
   * how late a seek back for an owed fold (AGGREGATE_FOLD_INTERVAL_MS) may take effect.
   */
  AGGREGATE_FETCH_MAX_WAIT_MS: z.coerce.number().int().min(10).max(10_000).default(1_000),
  /** A worker silent for this long leaves the group; its partitions move to the others. */
  AGGREGATE_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
  /**
   * Shortest time between two rollup folds of a partition (docs/ARCHITECTURE.md "When the sink
   * folds"): each fold adds a contribution row to every cell it touches, which every report of the
   * current month reads until the next compaction, so batches are gathered meanwhile, stored but not
   * committed. Also about how late the rollups (not usage_events) may be. 0: fold every batch.
   */
  AGGREGATE_FOLD_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /**
   * Consecutive batches of a partition are gathered until this many messages (docs/ARCHITECTURE.md
   * "Gathered batches"): each stored batch costs ClickHouse three statements and a part per table
   * whatever its size, and a fetch brings at most AGGREGATE_MAX_BYTES_PER_PARTITION. Held messages
   * are copies in memory: about this many times a message's size per partition at most (plus a fetch).
   */
  AGGREGATE_GATHER_MESSAGES: z.coerce.number().int().min(1).max(100_000).default(5_000),
  /**
   * ... or until the first held message has waited this long: what gathering adds to a busy
   * partition's ingest→queryable (an idle partition's are sought back for once it has also been quiet
   * for a second: about 2 s more). 0: store every batch as it comes.
   */
  AGGREGATE_GATHER_MAX_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(250),
  /** Partitions processed at the same time by one worker. */
  AGGREGATE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(3),
  /** Port of /healthz, /readyz and /metrics (0 = any free port). */
  AGGREGATE_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(8082),
  /** Not ready when, with lag > 0, no batch finished for this long (or one batch runs this long, e.g. ClickHouse down). */
  AGGREGATE_STALL_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(120_000),
});

export type AggregateConfig = z.infer<typeof aggregateConfigSchema>;

export function loadAggregateConfig(env: NodeJS.ProcessEnv = process.env): AggregateConfig {
  return loadConfig(aggregateConfigSchema, env);
}
