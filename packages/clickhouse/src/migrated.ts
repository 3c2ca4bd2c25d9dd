import path from 'node:path';
import { createClickHouse, ensureDatabase, type ClickHouseClient, type ClickHouseConfig } from './client';
import { runMigrations } from './migrations';

/** The schema's migrations (infra/clickhouse): the one place that knows where they are. */
export const SCHEMA_MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', '..', 'infra', 'clickhouse');

/** Runs `fn` with a client of the configured database, created and migrated first; closed afterwards. */
export async function withMigratedClickHouse<T>(
  config: ClickHouseConfig,
  fn: (ch: ClickHouseClient) => Promise<T>,
): Promise<T> {
  await ensureDatabase(config);
  const ch = createClickHouse(config);
  try {
    await runMigrations(ch, SCHEMA_MIGRATIONS_DIR);
    return await fn(ch);
  } finally {
    await ch.close();
  }
}
