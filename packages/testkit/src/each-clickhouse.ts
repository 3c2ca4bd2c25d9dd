import { createClickHouse, runMigrations, type ClickHouseClient } from '@edusage/clickhouse';
import { migrationsDir } from './paths';
import { startCurrentClickHouse } from './current-clickhouse';
import { createTestEnv } from './test-env';

/**
 * Runs `scenario` on a fresh migrated database of the local ClickHouse 18.16 (the suite's own) and
 * cleans up, whatever the scenario does.
 */
export async function onTestClickHouse<T>(suite: string, scenario: (ch: ClickHouseClient) => Promise<T>): Promise<T> {
  const env = await createTestEnv(suite, { kafka: false });
  const ch = createClickHouse(env.config);
  try {
    return await scenario(ch);
  } finally {
    await ch.close();
    await env.cleanup();
  }
}

/** Runs `scenario` on a current ClickHouse engine (chdb) with every migration applied, then stops it. */
export async function onCurrentClickHouse<T>(
  database: string,
  scenario: (ch: ClickHouseClient) => Promise<T>,
): Promise<T> {
  const current = await startCurrentClickHouse(database);
  try {
    await runMigrations(current.client, migrationsDir());
    return await scenario(current.client);
  } finally {
    await current.close();
  }
}
