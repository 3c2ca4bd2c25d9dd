import { z } from 'zod';
import { ConfigError } from './load';

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

/** Variables shared by every service. Defaults match infra/local and docker-compose.yml. */
export const baseConfigSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KAFKA_BROKERS: csv.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).default('edusage'),
  /** Prefix for every topic name; tests use it to get topics of their own. */
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
  /** Replicas of each topic the services create (3 on a cluster of ≥ 3 brokers; 1 on the single local broker). */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(16).default(1),
  /**
   * `min.insync.replicas` of the topics the services create: an acks=all write needs this many replicas.
   * Empty = 2 when the replication factor is 3 or more (one broker may fail without stopping writes or
   * losing an acknowledged event), else 1.
   */
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).max(16).optional(),
  CLICKHOUSE_URL: z.url().default('http://127.0.0.1:8123'),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .default('edusage'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis://')
    .default('redis://127.0.0.1:6379/0'),
  /** Prefix for every Redis key; tests use it to get a keyspace of their own. */
  REDIS_KEY_PREFIX: z.string().default('edusage:'),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

/** How the topics a service creates are replicated. */
export interface TopicReplication {
  replicationFactor: number;
  minInsyncReplicas: number;
}

/**
 * The replication of created topics from the configuration (see KAFKA_MIN_INSYNC_REPLICAS for the
 * default); refuses a minimum above the replication factor, which no write could ever meet.
 */
export function topicReplication(
  config: Pick<BaseConfig, 'KAFKA_REPLICATION_FACTOR' | 'KAFKA_MIN_INSYNC_REPLICAS'>,
): TopicReplication {
  const replicationFactor = config.KAFKA_REPLICATION_FACTOR;
  const minInsyncReplicas = config.KAFKA_MIN_INSYNC_REPLICAS ?? (replicationFactor >= 3 ? 2 : 1);
  if (minInsyncReplicas > replicationFactor) {
    throw new ConfigError([
      {
        variable: 'KAFKA_MIN_INSYNC_REPLICAS',
        message: `${minInsyncReplicas} is above KAFKA_REPLICATION_FACTOR (${replicationFactor}): no write could succeed`,
      },
    ]);
  }
  return { replicationFactor, minInsyncReplicas };
}
