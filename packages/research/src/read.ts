/**
 * A district's rows of one research table, as stored (already k-suppressed by the refresh): what the
 * API serves to researcher tokens. Weekly tables by week_start in [from, to]; outcome bands by school
 * year. Run on a client bound to the research database.
 */
import { queryTable, sqlDate, sqlIdentifier, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import type { WeeklyTable } from './schema';

/** A research table's rows as stored, with its columns in table order (named even when no row matches). */
export interface ResearchRows {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** The order of each table's rows (its sorting key after the week). */
const ORDER: Record<WeeklyTable | 'outcome_bands', string> = {
  weekly_app_usage_district: 'week_start, app_id',
  weekly_app_usage_school: 'week_start, app_id, school_id',
  weekly_app_usage_grade: 'week_start, app_id, grade',
  weekly_license_utilization: 'week_start, license_id',
  outcome_bands: 'school_year, app_id, assessment, subject, band',
};

export async function readWeeklyTable(
  ch: ClickHouseClient,
  table: WeeklyTable,
  districtId: string,
  from: string,
  to: string,
): Promise<ResearchRows> {
  return queryTable<Record<string, unknown>>(
    ch,
    `SELECT * FROM ${sqlIdentifier(table)}
     WHERE district_id = ${sqlString(districtId)} AND week_start BETWEEN ${sqlDate(from)} AND ${sqlDate(to)}
     ORDER BY ${ORDER[table]}`,
  );
}

export async function readOutcomeBands(
  ch: ClickHouseClient,
  districtId: string,
  schoolYear?: string,
): Promise<ResearchRows> {
  return queryTable<Record<string, unknown>>(
    ch,
    `SELECT * FROM outcome_bands WHERE district_id = ${sqlString(districtId)}${
      schoolYear === undefined ? '' : ` AND school_year = ${sqlString(schoolYear)}`
    } ORDER BY ${ORDER.outcome_bands}`,
  );
}
