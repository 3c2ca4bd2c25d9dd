/**
 * The scheduled publication of the research tables: each period is published once, after it settled.
 *
 * Why once: every version of a period is suppressed on its own, but two versions of one cell differ by
 * what changed between them. A band that grew from 24 to 25 students between two daily rebuilds gives
 * the 25th student's score from the two means; a usage cell gives one late student's minutes. So the
 * daily job writes a week only when it has been complete for RESEARCH_SETTLE_WEEKS weeks, and a school
 * year's outcome bands only once the year is over and as settled, and never writes either again.
 * A rebuild by hand (`research refresh`, a manual job) still replaces a period; `publications` shows it.
 */
import { queryRows, sqlIdentifier, type ClickHouseClient } from '@edusage/clickhouse';
import { addDays } from '@edusage/rollups';
import { schoolYearDays, schoolYearOf } from './outcome-bands';
import { refreshOutcomeBands, refreshWeek, type RefreshResult } from './refresh';
import { WEEKLY_TABLES, type ResearchTable } from './schema';
import { settledWeeks } from './weeks';

/** How many settled weeks back a run looks for weeks not yet published (the job may have been down). */
export const CATCH_UP_WEEKS = 8;

export interface PublishOptions {
  /** The district-local day of the run. */
  today: string;
  /** Weeks a complete week waits for late data before it is published. */
  settleWeeks: number;
  k: number;
  goals?: ReadonlyMap<string, number>;
}

export interface PublishResult {
  /** The weeks written, each with the tables written (a table already published is not written again). */
  weeks: RefreshResult[];
  /** Outcome bands rows written per school year. */
  outcomeBands: Record<string, number>;
}

const periodKey = (table: ResearchTable, period: string) => `${table}\u0000${period}`;

/** (table, period) pairs already published with rows; an empty write publishes nothing. */
async function publishedPeriods(ch: ClickHouseClient, researchDb: string): Promise<Set<string>> {
  const rows = await queryRows<{ table_name: ResearchTable; period: string }>(
    ch,
    `SELECT DISTINCT table_name, period FROM ${sqlIdentifier(researchDb)}.publications WHERE rows > 0`,
  );
  return new Set(rows.map((r) => periodKey(r.table_name, r.period)));
}

/** Whether `schoolYear` ended (June 30) at least `settleWeeks` weeks and two days before `today`. */
export function schoolYearSettled(schoolYear: string, today: string, settleWeeks: number): boolean {
  return addDays(schoolYearDays(schoolYear).to, 7 * settleWeeks + 2) <= today;
}

/** The settled ones of the two school years before `today`'s, oldest first (a run catches up one missed year). */
export function settledSchoolYears(today: string, settleWeeks: number): string[] {
  const start = Number(schoolYearOf(today).slice(0, 4));
  const year = (s: number) => `${s}-${String((s + 1) % 100).padStart(2, '0')}`;
  return [year(start - 2), year(start - 1)].filter((y) => schoolYearSettled(y, today, settleWeeks));
}

/**
 * Publishes what has settled and is not published yet: the weekly tables of the last CATCH_UP_WEEKS
 * settled weeks, and the outcome bands of the settled school years. A table whose week is kept (see
 * refreshWeek) or has no rows stays unpublished and is tried again on the next run.
 */
export async function publishSettled(
  ch: ClickHouseClient,
  researchDb: string,
  opts: PublishOptions,
): Promise<PublishResult> {
  const published = await publishedPeriods(ch, researchDb);
  const weeks: RefreshResult[] = [];
  for (const week of settledWeeks(opts.today, opts.settleWeeks, CATCH_UP_WEEKS)) {
    const tables = WEEKLY_TABLES.filter((t) => !published.has(periodKey(t, week)));
    if (tables.length === 0) continue;
    weeks.push(await refreshWeek(ch, researchDb, week, opts.k, { tables, trigger: 'scheduled', skipEmpty: true }));
  }
  const outcomeBands: Record<string, number> = {};
  for (const year of settledSchoolYears(opts.today, opts.settleWeeks)) {
    if (published.has(periodKey('outcome_bands', year))) continue;
    outcomeBands[year] = await refreshOutcomeBands(ch, researchDb, year, opts.k, opts.goals, {
      trigger: 'scheduled',
      skipEmpty: true,
    });
  }
  return { weeks, outcomeBands };
}
