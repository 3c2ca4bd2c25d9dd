import { z } from 'zod';

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
