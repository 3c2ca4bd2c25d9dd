import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@edusage/logging';
import { sqlString } from './escape';
import { queryRows } from './query';

/** Thrown when a migration that was already applied has been edited: schema history must not change. */
export class MigrationChangedError extends Error {
  constructor(readonly file: string) {
    super(`migration ${file} was changed after it was applied; add a new migration instead of editing it`);
    this.name = 'MigrationChangedError';
  }
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

/**
 * Applies `dir/NNNN_name.sql` files in name order, each once, recording name and checksum in
 * `schema_migrations`. Statements are separated by a `;` at the end of a line and must be idempotent
 * (IF NOT EXISTS), so a run interrupted inside a file can simply be repeated. `ALTER TABLE t ADD COLUMN c …`
 * is the one exception, because 18.16 has no `ADD COLUMN IF NOT EXISTS`: the runner skips it when `t`
 * already has `c`, before it or after it failed (another service's run added it meanwhile).
 */
export async function runMigrations(client: ClickHouseClient, dir: string, logger?: Logger): Promise<MigrationResult> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (
      name String, checksum String, applied_at DateTime
    ) ENGINE = MergeTree ORDER BY name`,
  });
  const done = new Map(
    (await queryRows<{ name: string; checksum: string }>(client, 'SELECT name, checksum FROM schema_migrations')).map(
      (r) => [r.name, r.checksum],
    ),
  );
  const files = (await readdir(dir)).filter((f) => MIGRATION_FILE.test(f)).sort();
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    const recorded = done.get(file);
    if (recorded !== undefined) {
      if (recorded !== checksum) throw new MigrationChangedError(file);
      result.skipped.push(file);
      continue;
    }
    for (const statement of splitStatements(sql)) {
      if (await columnAlreadyAdded(client, statement)) continue;
      try {
        await client.command({ query: statement });
      } catch (err) {
        // Services that start together migrate together: another may have added the column between
        // the check and this ALTER (DUPLICATE_COLUMN). The column being there is all the file asks.
        if (await columnAlreadyAdded(client, statement)) continue;
        throw err;
      }
    }
    await client.command({
      query: `INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (${sqlString(file)}, ${sqlString(checksum)}, now())`,
    });
    logger?.info({ migration: file }, 'migration applied');
    result.applied.push(file);
  }
  return result;
}

/** Splits a file on `;` at line ends, dropping `--` comment lines and empty statements. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const ADD_COLUMN = /^ALTER\s+TABLE\s+`?(\w+)`?\s+ADD\s+COLUMN\s+`?(\w+)`?\s/i;

/** True for an `ALTER TABLE t ADD COLUMN c …` (one column) whose column already exists. */
async function columnAlreadyAdded(client: ClickHouseClient, statement: string): Promise<boolean> {
  const match = ADD_COLUMN.exec(statement);
  if (!match) return false;
  if (/,\s*ADD\s+COLUMN/i.test(statement)) {
    throw new Error(`one column per ALTER TABLE … ADD COLUMN statement, so a repeated run can skip it: ${statement}`);
  }
  const [, table, column] = match as unknown as [string, string, string];
  const rows = await queryRows<{ n: string }>(
    client,
    `SELECT count() AS n FROM system.columns
     WHERE database = currentDatabase() AND table = ${sqlString(table)} AND name = ${sqlString(column)}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}
