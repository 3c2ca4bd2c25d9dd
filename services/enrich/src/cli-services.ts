import { Redis } from 'ioredis';
import {
  createClickHouse,
  ensureDatabase,
  runMigrations,
  SCHEMA_MIGRATIONS_DIR,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import { createLogger, type Logger } from '@edusage/logging';
import { loadEnrichConfig, type EnrichConfig } from './config';

export interface CliServices {
  config: EnrichConfig;
  ch: ClickHouseClient;
  redis: Redis;
  logger: Logger;
}

/**
 * The connections of an enrich command that reads or writes stored data (`roster reresolve`, `people
 * erase`, `people erasures`), closed when `run` ends. `migrate` true: the database is created and migrated
 * first (the command writes); false (a dry run, a listing): the schema is only read.
 */
export async function withCliServices(migrate: boolean, run: (s: CliServices) => Promise<void>): Promise<void> {
  const config = loadEnrichConfig();
  const logger = createLogger('enrich-cli', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  if (migrate) await ensureDatabase(config);
  const ch = createClickHouse(config);
  try {
    if (migrate) await runMigrations(ch, SCHEMA_MIGRATIONS_DIR, logger);
    await run({ config, ch, redis, logger });
  } finally {
    redis.disconnect();
    await ch.close();
  }
}
