/**
 * The scheduled publication of the research tables: each period is published once, after it settled.
 *
 * Why once: every version of a period is suppressed on its own, but two versions of one cell differ by
 * what changed between them. A band that grew from 24 to 25 students between two daily rebuilds gives
 * the 25th student's score from the two means; a usage cell gives one late student's minutes. So the
 * daily job writes a week only when it has been complete for RESEARCH_SETTLE_WEEKS weeks, and a school
 * year's outcome bands only once the year is over and as settled, and never writes either again.
 * A rebuild by hand (`rebuildByHand`: `research refresh`, a manual job) still replaces a settled period;
 * `publications` shows it. Unsettled periods are never written, not even by hand.
 */
import { queryRows, sqlIdentifier, sqlList, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { addDays } from '@edusage/rollups';
import { schoolYearDays, schoolYearOf } from './outcome-bands';
import { refreshOutcomeBands, refreshWeek, type RefreshResult } from './refresh';
import { WEEKLY_TABLES, type ResearchTable } from './schema';
import { mondayOf, settledWeeks, weekSettled } from './weeks';

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

/** Periods of `tables` with a logged write of rows (scheduled, by hand, or before the log existed). */
async function publishedPeriods(
  ch: ClickHouseClient,
  researchDb: string,
  tables: readonly ResearchTable[],
): Promise<Set<string>> {
  const rows = await queryRows<{ period: string }>(
    ch,
    `SELECT DISTINCT period FROM ${sqlIdentifier(researchDb)}.publications
     WHERE rows > 0 AND table_name IN ${sqlList(tables, sqlString)}`,
  );
  return new Set(rows.map((r) => r.period));
}

/** Whether `schoolYear` ended (June 30) at least `settleWeeks` weeks and two days before `today`. */
export function schoolYearSettled(schoolYear: string, today: string, settleWeeks: number): boolean {
  return addDays(schoolYearDays(schoolYear).to, 7 * settleWeeks + 2) <= today;
}

/** The school year before `today`'s, if it has settled (else none): the one year a run may publish. */
export function settledSchoolYears(today: string, settleWeeks: number): string[] {
  const previous = schoolYearOf(addDays(schoolYearDays(schoolYearOf(today)).from, -1));
  return schoolYearSettled(previous, today, settleWeeks) ? [previous] : [];
}

/**
 * Publishes what has settled and is not published yet: each of the last CATCH_UP_WEEKS settled weeks
 * whose tables have no logged write, as one snapshot of all four tables (`whole`: nothing while a
 * table is held back or the week has no row), and the outcome bands of the school year before
 * today's once it settled. A week or year not written is tried again on the next run.
 */
export async function publishSettled(
  ch: ClickHouseClient,
  researchDb: string,
  opts: PublishOptions,
): Promise<PublishResult> {
  const publishedWeeks = await publishedPeriods(ch, researchDb, WEEKLY_TABLES);
  const weeks: RefreshResult[] = [];
  for (const week of settledWeeks(opts.today, opts.settleWeeks, CATCH_UP_WEEKS)) {
    if (publishedWeeks.has(week)) continue;
    weeks.push(await refreshWeek(ch, researchDb, week, opts.k, { trigger: 'scheduled', whole: true }));
  }
  const publishedYears = await publishedPeriods(ch, researchDb, ['outcome_bands']);
  const outcomeBands: Record<string, number> = {};
  for (const year of settledSchoolYears(opts.today, opts.settleWeeks)) {
    if (publishedYears.has(year)) continue;
    outcomeBands[year] = await refreshOutcomeBands(ch, researchDb, year, opts.k, opts.goals, {
      trigger: 'scheduled',
      whole: true,
    });
  }
  return { weeks, outcomeBands };
}

export interface RebuildResult extends PublishResult {
  /** The school year of the day when its bands were not rebuilt because it has not settled, else null. */
  unsettledYear: string | null;
}

/**
 * A rebuild by hand (`research refresh`, a manual job): the week holding `opts.day`, replacing what was
 * published (logged `manual`), and its school year's outcome bands if that year has settled. A week
 * that has not settled is refused: written now, it would be a version before the one the job
 * publishes. `settleSetting` names where the settle weeks came from, for the error.
 */
export async function rebuildByHand(
  ch: ClickHouseClient,
  researchDb: string,
  opts: PublishOptions & { day: string; settleSetting: string },
): Promise<RebuildResult> {
  if (!weekSettled(opts.day, opts.today, opts.settleWeeks)) {
    throw new Error(
      `the week of ${mondayOf(opts.day)} has not settled (${opts.settleSetting}=${opts.settleWeeks}): it is published once, when it has, and is not rebuilt before`,
    );
  }
  const week = await refreshWeek(ch, researchDb, mondayOf(opts.day), opts.k);
  const year = schoolYearOf(opts.day);
  if (!schoolYearSettled(year, opts.today, opts.settleWeeks))
    return { weeks: [week], outcomeBands: {}, unsettledYear: year };
  const rows = await refreshOutcomeBands(ch, researchDb, year, opts.k, opts.goals);
  return { weeks: [week], outcomeBands: { [year]: rows }, unsettledYear: null };
}
