import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createClickHouse, ensureDatabase, type ClickHouseClient, type ClickHouseConfig } from './client';
import { runMigrations, splitStatements } from './migrations';

/** The schema's migrations (infra/clickhouse): the one place that knows where they are. */
export const SCHEMA_MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', '..', 'infra', 'clickhouse');

/** One schema migration's statements, as runMigrations runs them (upgrade tests replay old steps). */
export function migrationStatements(file: string): string[] {
  return splitStatements(readFileSync(path.join(SCHEMA_MIGRATIONS_DIR, file), 'utf8'));
}

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
