/**
 * Outcome bands for the research database: per school year, district, licensed app and assessment ×
 * subject, the students with a pre and a post test in the year grouped by dosage band (engaged minutes a
 * week of the app between their two tests, against a weekly goal), with the band's size, mean scores and
 * mean growth. The figures and their suppression are packages/outcomes' own (`loadStudentWindows`,
 * `goalBands`, `bandTable`: one source of truth); this module chooses what to build and shapes the rows.
 * No person id; the only time grain is the school year (July to June).
 */
import { queryRows, sqlDate, type ClickHouseClient } from '@edusage/clickhouse';
import { bandTable, DEFAULT_GOAL_MINUTES_PER_WEEK, goalBands, loadStudentWindows } from '@edusage/outcomes';

/** "ixl=45,newsela=20": weekly goals in engaged minutes per app (packages/outcomes' parser). */
export { parseGoals } from '@edusage/outcomes';

export interface OutcomeBandRow {
  school_year: string;
  district_id: string;
  app_id: string;
  assessment: string;
  subject: string;
  goal_minutes_per_week: number;
  band: string;
  students: number | null;
  mean_pre: number | null;
  mean_post: number | null;
  mean_growth: number | null;
  growth_ci_low: number | null;
  growth_ci_high: number | null;
  suppressed: number;
  k: number;
}

/** '2026-27' for any day from 2026-07-01 to 2027-06-30. */
export function schoolYearOf(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a YYYY-MM-DD day: ${JSON.stringify(day)}`);
  const y = Number(day.slice(0, 4));
  const start = day.slice(5, 7) >= '07' ? y : y - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
}

/** The first and last day of a school year '2026-27'. */
export function schoolYearDays(year: string): { from: string; to: string } {
  const m = /^(\d{4})-(\d{2})$/.exec(year);
  if (!m || (Number(m[1]) + 1) % 100 !== Number(m[2])) throw new Error(`not a school year like 2026-27: ${year}`);
  return { from: `${m[1]}-07-01`, to: `${Number(m[1]) + 1}-06-30` };
}

interface Combination {
  district_id: string;
  assessment: string;
  subject: string;
  app_id: string;
}

/** District × assessment × subject with tests in the year, × the district's licensed apps. */
function combinations(ch: ClickHouseClient, from: string, to: string): Promise<Combination[]> {
  return queryRows<Combination>(
    ch,
    `SELECT DISTINCT district_id, assessment, subject, app_id
     FROM (SELECT DISTINCT district_id, assessment, subject FROM assessment_results FINAL
           WHERE test_date >= ${sqlDate(from)} AND test_date <= ${sqlDate(to)}) AS t
     ALL INNER JOIN (SELECT DISTINCT district_id, app_id FROM licenses_current) AS l USING (district_id)
     ORDER BY district_id, assessment, subject, app_id`,
  );
}

/** One school year's band rows; `goals` gives minutes per week per app (default 30). */
export async function outcomeBands(
  ch: ClickHouseClient,
  schoolYear: string,
  k: number,
  goals: ReadonlyMap<string, number> = new Map(),
): Promise<OutcomeBandRow[]> {
  const { from, to } = schoolYearDays(schoolYear);
  const rows: OutcomeBandRow[] = [];
  for (const c of await combinations(ch, from, to)) {
    const goal = goals.get(c.app_id) ?? DEFAULT_GOAL_MINUTES_PER_WEEK;
    const { students } = await loadStudentWindows(ch, {
      districtId: c.district_id,
      app: c.app_id,
      assessment: c.assessment,
      subject: c.subject,
      from,
      to,
    });
    if (students.length === 0) continue;
    for (const b of bandTable(goalBands(students, goal), k)) {
      rows.push({
        school_year: schoolYear,
        district_id: c.district_id,
        app_id: c.app_id,
        assessment: c.assessment,
        subject: c.subject,
        goal_minutes_per_week: goal,
        band: b.band,
        students: b.n,
        mean_pre: b.meanPre,
        mean_post: b.meanPost,
        mean_growth: b.growth?.mean ?? null,
        growth_ci_low: b.growth?.ciLow ?? null,
        growth_ci_high: b.growth?.ciHigh ?? null,
        suppressed: b.suppressed === null ? 0 : 1,
        k,
      });
    }
  }
  return rows;
}
