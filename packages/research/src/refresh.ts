/**
 * Rebuilds whole weeks of the weekly research tables, and whole school years of outcome_bands. Each
 * table's partition is built in a staging table of the main database (invisible to the researcher
 * user) and swapped in with one `ALTER TABLE … REPLACE PARTITION <week or year> FROM <staging>`, which
 * ClickHouse applies atomically: readers see the old partition or the new one, a re-run replaces it
 * instead of adding to it, and a partition that lost all its rows becomes empty. Every write is logged
 * in the research database's `publications` (what publish.ts reads to publish a period only once).
 */
import { randomBytes } from 'node:crypto';
import {
  command,
  insertRows,
  queryRows,
  sqlDateTime,
  sqlIdentifier,
  sqlNumber,
  sqlString,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import { weeklyLicenseUtilization, type LicenseUtilizationRow } from './license-utilization';
import { outcomeBands, schoolYearDays } from './outcome-bands';
import { WEEKLY_TABLES, type ResearchTable, type WeeklyTable } from './schema';
import { checkK } from './suppression';
import { suppressWeeklyUsage, usageCellIndex, weeklyUsageCounts, type WeeklyUsageCounts } from './weekly-usage';
import { weekDays } from './weeks';

/** Who wrote a period: the daily job's publication of settled periods, or a rebuild asked for by hand. */
export type PublicationTrigger = 'scheduled' | 'manual';

export interface RefreshOptions {
  /** The weekly tables to write (default: all). */
  tables?: readonly WeeklyTable[];
  /** Logged with the write (default 'manual'). */
  trigger?: PublicationTrigger;
  /** Write nothing for a table whose build has no rows (nothing to publish yet). */
  skipEmpty?: boolean;
}

export interface RefreshResult {
  week_start: string;
  /** Rows written per table; a table missing here kept its previous version of the week (`kept`). */
  rows: Partial<Record<WeeklyTable, number>>;
  kept: { table: WeeklyTable; reason: string }[];
}

const sumEvents = (cells: readonly { events: number }[]) => cells.reduce((s, c) => s + c.events, 0);

/**
 * The grade cells are computed from stored events, the district cells from the rollups; both count
 * each student event once, so their totals agree unless events are missing on one side: months dropped
 * by retention (the rollups are kept), or events not folded into the rollups yet. Then the grade week
 * is left as it was rather than rebuilt from partial data.
 */
function gradeMismatch(counts: WeeklyUsageCounts): string | null {
  const fromRollups = sumEvents(counts.district);
  const fromEvents = sumEvents(counts.grade);
  return fromRollups === fromEvents
    ? null
    : `the week's student events differ between the rollups (${fromRollups}) and the stored events (${fromEvents})`;
}

/** Districts with a license inventory (the license table is per district). */
async function licensedDistricts(ch: ClickHouseClient): Promise<string[]> {
  const rows = await queryRows<{ district_id: string }>(
    ch,
    `SELECT DISTINCT district_id FROM license_import_versions WHERE kind = 'licenses' ORDER BY district_id`,
  );
  return rows.map((r) => r.district_id);
}

const STAGING_PREFIX = 'research_staging_';

/**
 * Drops staging tables a crashed refresh left behind (older than a day, so a refresh running now keeps
 * its own).
 */
export async function dropStaleStaging(ch: ClickHouseClient): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    ch,
    `SELECT name FROM system.tables WHERE database = currentDatabase()
       AND startsWith(name, ${sqlString(STAGING_PREFIX)}) AND metadata_modification_time < now() - 86400`,
  );
  for (const { name } of rows) await command(ch, `DROP TABLE IF EXISTS ${sqlIdentifier(name)}`);
  return rows.map((r) => r.name);
}

/**
 * Writes `rows` as the whole `partition` (a week_start or a school_year) of researchDb.table, through a
 * staging table, and logs the write in researchDb.publications. The log row follows the swap: a crash
 * between the two leaves a written period unlogged, which the next scheduled run writes once more.
 */
async function replacePartition(
  ch: ClickHouseClient,
  researchDb: string,
  table: ResearchTable,
  partition: string,
  rows: readonly object[],
  log: { k: number; trigger: PublicationTrigger },
): Promise<void> {
  const target = `${sqlIdentifier(researchDb)}.${sqlIdentifier(table)}`;
  const staging = `${STAGING_PREFIX}${table}_${randomBytes(4).toString('hex')}`;
  await command(ch, `CREATE TABLE ${sqlIdentifier(staging)} AS ${target}`);
  try {
    await insertRows(ch, staging, rows);
    await command(ch, `ALTER TABLE ${target} REPLACE PARTITION ${sqlString(partition)} FROM ${sqlIdentifier(staging)}`);
  } finally {
    await command(ch, `DROP TABLE IF EXISTS ${sqlIdentifier(staging)}`);
  }
  await command(
    ch,
    `INSERT INTO ${sqlIdentifier(researchDb)}.publications (table_name, period, published_at, rows, k, trigger)
     SELECT ${sqlString(table)}, ${sqlString(partition)}, ${sqlDateTime(new Date())}, ${sqlNumber(rows.length)},
       ${sqlNumber(log.k)}, ${sqlString(log.trigger)}`,
  );
}

/**
 * Rebuilds one week of the weekly research tables (all, or `opts.tables`) from the main database `ch`
 * is bound to, with suppression threshold k.
 */
export async function refreshWeek(
  ch: ClickHouseClient,
  researchDb: string,
  weekStart: string,
  k: number,
  opts: RefreshOptions = {},
): Promise<RefreshResult> {
  checkK(k);
  weekDays(weekStart); // refuses a day that is not a Monday
  const counts = await weeklyUsageCounts(ch, weekStart);
  const usage = suppressWeeklyUsage(counts, weekStart, k);
  const cells = usageCellIndex(counts, usage);
  const licenses: LicenseUtilizationRow[] = [];
  for (const district of await licensedDistricts(ch)) {
    for (const row of await weeklyLicenseUtilization(ch, district, weekStart, k, cells)) licenses.push(row);
  }
  const tables: Record<WeeklyTable, readonly object[]> = {
    weekly_app_usage_district: usage.district,
    weekly_app_usage_school: usage.school,
    weekly_app_usage_grade: usage.grade,
    weekly_license_utilization: licenses,
  };
  const kept: RefreshResult['kept'] = [];
  const mismatch = gradeMismatch(counts);
  if (mismatch !== null) kept.push({ table: 'weekly_app_usage_grade', reason: mismatch });
  const rows: RefreshResult['rows'] = {};
  const wanted = new Set(opts.tables ?? WEEKLY_TABLES);
  const trigger = opts.trigger ?? 'manual';
  for (const [table, list] of Object.entries(tables) as [WeeklyTable, readonly object[]][]) {
    if (!wanted.has(table) || kept.some((t) => t.table === table)) continue;
    if (opts.skipEmpty && list.length === 0) continue;
    await replacePartition(ch, researchDb, table, weekStart, list, { k, trigger });
    rows[table] = list.length;
  }
  return { week_start: weekStart, rows, kept };
}

/**
 * Rebuilds one school year ('2026-27') of outcome_bands with suppression threshold k and the weekly
 * goals per app (minutes; default 30). Returns the rows written.
 */
export async function refreshOutcomeBands(
  ch: ClickHouseClient,
  researchDb: string,
  schoolYear: string,
  k: number,
  goals: ReadonlyMap<string, number> = new Map(),
  opts: Pick<RefreshOptions, 'trigger' | 'skipEmpty'> = {},
): Promise<number> {
  checkK(k);
  schoolYearDays(schoolYear); // refuses anything but '2026-27'
  const rows = await outcomeBands(ch, schoolYear, k, goals);
  if (opts.skipEmpty && rows.length === 0) return 0;
  await replacePartition(ch, researchDb, 'outcome_bands', schoolYear, rows, { k, trigger: opts.trigger ?? 'manual' });
  return rows.length;
}
