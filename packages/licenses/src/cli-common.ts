import { baseConfigSchema, loadConfig } from '@edusage/config';
import { withMigratedClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { flatNames, readDistrictNamesOnce } from '@edusage/enrich';
import { formatImportResult, type ImportResult } from './import';

/** District ids end up in SQL literals (escaped) and partition keys: keep them plain. */
export function checkDistrictId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id))
    throw new Error(`--district: not a plain id: ${JSON.stringify(id)}`);
  return id;
}

/** Runs `fn` with a ClickHouse client of the configured database (migrated first). */
export function withClickHouse<T>(fn: (ch: ClickHouseClient) => Promise<T>): Promise<T> {
  return withMigratedClickHouse(loadConfig(baseConfigSchema), fn);
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

/**
 * Display names for a report's ids (schools, classes, apps: `readDistrictNames`). The district's own
 * catalog is in Redis; when Redis does not answer, the shipped catalog's names are used, and when the
 * names cannot be read at all the report shows ids: a line on stderr says which (a report is worth
 * printing without them).
 */
export async function reportNames(ch: ClickHouseClient, districtId: string): Promise<Map<string, string>> {
  try {
    return flatNames(
      await readDistrictNamesOnce(ch, districtId, loadConfig(baseConfigSchema), (cause) =>
        console.error(`the district's app catalog could not be read (${cause}): shipped app names only`),
      ),
    );
  } catch (err) {
    console.error(`names could not be read (${String(err)}): the report shows ids`);
    return new Map();
  }
}
