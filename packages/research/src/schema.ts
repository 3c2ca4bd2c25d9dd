/**
 * The research database's schema: infra/clickhouse/research/*.sql, applied by the migration runner to
 * that database (its own schema_migrations), so it lives apart from the main database's history.
 */
import path from 'node:path';
import { createClickHouse, ensureDatabase, runMigrations, type ClickHouseConfig } from '@edusage/clickhouse';

export const RESEARCH_MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', '..', 'infra', 'clickhouse', 'research');

/** The tables rebuilt a week at a time (partitioned by week_start). */
export const WEEKLY_TABLES = [
  'weekly_app_usage_district',
  'weekly_app_usage_school',
  'weekly_app_usage_grade',
  'weekly_license_utilization',
] as const;
export type WeeklyTable = (typeof WEEKLY_TABLES)[number];

/** The research tables, in the order of docs/DATA_DICTIONARY.md. */
export const RESEARCH_TABLES = [...WEEKLY_TABLES, 'outcome_bands'] as const;
export type ResearchTable = (typeof RESEARCH_TABLES)[number];

/** Creates the research database and its tables if missing. */
export async function ensureResearchSchema(config: ClickHouseConfig, researchDatabase: string): Promise<void> {
  const target = { ...config, CLICKHOUSE_DATABASE: researchDatabase };
  await ensureDatabase(target);
  const ch = createClickHouse(target);
  try {
    await runMigrations(ch, RESEARCH_MIGRATIONS_DIR);
  } finally {
    await ch.close();
  }
}
