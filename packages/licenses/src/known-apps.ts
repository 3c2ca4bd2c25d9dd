import { queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { AppCatalog, loadShippedCatalog } from '@edusage/enrich';
import type { RowIssue } from './csv-records';

let catalog: AppCatalog | null = null;
/** The app catalog shipped with enrich (the same file and domain matching enrich resolves events with). */
function shippedCatalog(): AppCatalog {
  catalog ??= new AppCatalog(loadShippedCatalog());
  return catalog;
}

/** Where an app appears in the file: its first line and how many rows name it. */
export interface AppRows {
  first: number;
  count: number;
}

const warning = (file: string, rows: AppRows, message: string): RowIssue => ({
  file,
  line: rows.first,
  field: 'app',
  message: rows.count > 1 ? `${message} (this line and ${rows.count - 1} more rows)` : message,
});

/**
 * Warnings about license apps, one per app at its first line (with the number of rows naming it): a
 * domain the catalog knows (enrich counts its use under the catalog's app_id, so the license would
 * match no use), and an app that is neither in the catalog nor seen in the district's usage (its daily
 * rollups, which key apps as licenses do): likely a typo. The rows are kept, since a district may
 * license an app before anyone uses it.
 */
export async function unknownApps(
  ch: ClickHouseClient,
  districtId: string,
  file: string,
  apps: Map<string, AppRows>,
): Promise<RowIssue[]> {
  const catalog = shippedCatalog();
  const issues: RowIssue[] = [];
  const candidates: string[] = [];
  for (const [app, rows] of apps) {
    if (app.startsWith('domain:')) {
      const host = app.slice('domain:'.length);
      const owner = catalog.appForHost(host);
      if (owner !== null)
        issues.push(
          warning(file, rows, `${host} is the catalog's app ${owner}: give its app_id, its use is counted under it`),
        );
      else candidates.push(app);
    } else if (catalog.get(app.toLowerCase()) === undefined) candidates.push(app);
  }
  if (candidates.length === 0) return issues;
  const seen = await queryRows<{ app_id: string }>(
    ch,
    `SELECT DISTINCT app_id FROM rollup_district_app_daily_parts
     WHERE district_id = ${sqlString(districtId)} AND app_id IN (${candidates.map(sqlString).join(', ')})`,
  );
  const used = new Set(seen.map((s) => s.app_id));
  for (const app of candidates.filter((a) => !used.has(a)))
    issues.push(
      warning(
        file,
        apps.get(app)!,
        `${app} is neither in the app catalog nor seen in the district's usage: check the id or domain (row kept)`,
      ),
    );
  return issues;
}
