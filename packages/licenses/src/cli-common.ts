import path from 'node:path';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import { createClickHouse, ensureDatabase, runMigrations, type ClickHouseClient } from '@edusage/clickhouse';
import { formatImportResult, type ImportResult } from './import';

const MIGRATIONS_DIR = path.resolve(__dirname, '../../../infra/clickhouse');

/** District ids end up in SQL literals (escaped) and partition keys: keep them plain. */
export function checkDistrictId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id))
    throw new Error(`--district: not a plain id: ${JSON.stringify(id)}`);
  return id;
}

/** Runs `fn` with a ClickHouse client of the configured database (migrated first). */
export async function withClickHouse<T>(fn: (ch: ClickHouseClient) => Promise<T>): Promise<T> {
  const config = loadConfig(baseConfigSchema);
  await ensureDatabase(config);
  const ch = createClickHouse(config);
  try {
    await runMigrations(ch, MIGRATIONS_DIR);
    return await fn(ch);
  } finally {
    await ch.close();
  }
}

/** Prints the import result; exit code 0 = every row accepted, 2 = some rows rejected, 3 = refused (nothing written). */
export function reportImport(r: ImportResult): void {
  console.log(formatImportResult(r));
  process.exitCode = r.refused ? 3 : r.rejected > 0 ? 2 : 0;
}

export function fail(err: unknown): void {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
