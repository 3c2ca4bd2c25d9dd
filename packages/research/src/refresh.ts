/**
 * Rebuilds whole weeks of the weekly research tables, and whole school years of outcome_bands. Each
 * table's partition is built in a staging table of the main database (invisible to the researcher
 * user) and swapped in with one `ALTER TABLE … REPLACE PARTITION <week or year> FROM <staging>`, which
 * ClickHouse applies atomically: readers see the old partition or the new one, a re-run replaces it
 * instead of adding to it, and a partition that lost all its rows becomes empty. Every write is logged
 * in the research database's `publications` before it is made (what publish.ts reads to publish a
 * period only once).
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
import type { ResearchTable, WeeklyTable } from './schema';
import { checkK } from './suppression';
import { suppressWeeklyUsage, usageCellIndex, weeklyUsageCounts, type WeeklyUsageCounts } from './weekly-usage';
import { weekDays } from './weeks';

/** Who wrote a period: the daily job's publication of settled periods, or a rebuild asked for by hand. */
export type PublicationTrigger = 'scheduled' | 'manual';

export interface RefreshOptions {
  /** Logged with the write (default 'manual'). */
  trigger?: PublicationTrigger;
  /**
   * Publish the period as one snapshot or not at all (the scheduled publication): nothing is written
   * when a table of the week is held back (`kept`) or when the period has no row in any table. The
   * tables of one week then always come from one build, so the complementary suppression between
   * them holds (a grade table built later than its district table would differ by the late events).
   */
  whole?: boolean;
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

/** A write to log in researchDb.publications: the table, its period and the rows about to replace it. */
interface Write {
  table: ResearchTable;
  period: string;
  rows: readonly object[];
}

/**
 * Logs the writes in researchDb.publications, before they are made: a crash part way through a
 * publication then leaves a period logged (not written again by the scheduled job, to be rebuilt by
 * hand), never two versions of it for a researcher to compare. A failed swap leaves a logged version
 * that never landed; the period keeps its previous version.
 */
async function logWrites(
  ch: ClickHouseClient,
  researchDb: string,
  writes: readonly Write[],
  log: { k: number; trigger: PublicationTrigger },
): Promise<void> {
  const at = sqlDateTime(new Date());
  const rows = writes.map(
    (w) =>
      `SELECT ${sqlString(w.table)} AS table_name, ${sqlString(w.period)} AS period, ${at} AS published_at,
         toUInt64(${sqlNumber(w.rows.length)}) AS rows, toUInt8(${sqlNumber(log.k)}) AS k, ${sqlString(log.trigger)} AS trigger`,
  );
  await command(
    ch,
    `INSERT INTO ${sqlIdentifier(researchDb)}.publications (table_name, period, published_at, rows, k, trigger)
     ${rows.join(' UNION ALL ')}`,
  );
}

/** Writes `rows` as the whole `partition` (a week_start or a school_year) of researchDb.table, through a staging table. */
async function replacePartition(ch: ClickHouseClient, researchDb: string, write: Write): Promise<void> {
  const target = `${sqlIdentifier(researchDb)}.${sqlIdentifier(write.table)}`;
  const staging = `${STAGING_PREFIX}${write.table}_${randomBytes(4).toString('hex')}`;
  await command(ch, `CREATE TABLE ${sqlIdentifier(staging)} AS ${target}`);
  try {
    await insertRows(ch, staging, write.rows);
    await command(
      ch,
      `ALTER TABLE ${target} REPLACE PARTITION ${sqlString(write.period)} FROM ${sqlIdentifier(staging)}`,
    );
  } finally {
    await command(ch, `DROP TABLE IF EXISTS ${sqlIdentifier(staging)}`);
  }
}

/** Logs the writes, then makes them. */
async function publish(
  ch: ClickHouseClient,
  researchDb: string,
  writes: readonly Write[],
  log: { k: number; trigger: PublicationTrigger },
): Promise<void> {
  if (writes.length === 0) return;
  await logWrites(ch, researchDb, writes, log);
  for (const w of writes) await replacePartition(ch, researchDb, w);
}

/**
 * Rebuilds one week of the weekly research tables from the main database `ch` is bound to, with
 * suppression threshold k (see RefreshOptions for the scheduled publication's `whole`).
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
  const built = Object.entries(tables) as [WeeklyTable, readonly object[]][];
  const unpublishable = opts.whole && (kept.length > 0 || built.every(([, list]) => list.length === 0));
  const writes: Write[] = unpublishable
    ? []
    : built
        .filter(([table]) => !kept.some((t) => t.table === table))
        .map(([table, list]) => ({ table, period: weekStart, rows: list }));
  await publish(ch, researchDb, writes, { k, trigger: opts.trigger ?? 'manual' });
  for (const w of writes) rows[w.table as WeeklyTable] = w.rows.length;
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
  opts: RefreshOptions = {},
): Promise<number> {
  checkK(k);
  schoolYearDays(schoolYear); // refuses anything but '2026-27'
  const rows = await outcomeBands(ch, schoolYear, k, goals);
  if (opts.whole && rows.length === 0) return 0;
  await publish(ch, researchDb, [{ table: 'outcome_bands', period: schoolYear, rows }], {
    k,
    trigger: opts.trigger ?? 'manual',
  });
  return rows.length;
}
