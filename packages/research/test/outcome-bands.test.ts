/**
 * Outcome bands on the real ClickHouse: the district of fixtures.ts plus 13 rostered students who never
 * used an app, every student with a MAP math test on 2026-09-01 (pre) and 2026-09-29 (post, 4 weeks
 * later). Bands by engaged minutes a week of each licensed app between the two tests, with a goal of 4
 * minutes for app-a and the default 30 for the others. Expected figures by hand:
 * - app-a: p01–p12 used it 1200 s = 20 min over 4 weeks = 5 min/week ≥ 4 → at_goal (12, growth 10 and
 *   14 alternating → mean 12); p13–p31 600 s = 2.5 min/week → below_goal (19, growth 5/7 and p31 6 →
 *   mean 6); p40–p52 → none (13, growth 2/4 and p52 3 → mean 3).
 * - app-b: p01–p04 below_goal (4 < k) and the 40 others none: the single hidden band would be total −
 *   none, so none is hidden too; at_goal is empty (0, shown).
 * - app-c (licensed, never used): all 44 none; mean post = (12·212 + 19·206 + 13·203) / 44 = 206.75.
 */
import { insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { assessmentRow } from '@edusage/testkit';
import { refreshOutcomeBands, schoolYearDays, schoolYearOf } from '../src';
import { openResearchSuite, type ResearchSuite } from './fixtures';

jest.setTimeout(180_000);

const pad = (n: number) => String(n).padStart(2, '0');
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Growth of each student, as described above. */
function growthOf(n: number): number {
  if (n <= 12) return n % 2 === 0 ? 14 : 10;
  if (n <= 30) return n % 2 === 0 ? 7 : 5;
  if (n === 31) return 6;
  if (n === 52) return 3;
  return n % 2 === 0 ? 4 : 2;
}

describe('outcome bands', () => {
  let suite: ResearchSuite;
  let ch: ClickHouseClient;
  let researchDb: string;

  beforeAll(async () => {
    ({ ch, researchDb } = suite = await openResearchSuite('research_outcomes'));
    await insertRows(
      ch,
      'dim_people',
      range(40, 52).map((n) => ({
        district_id: 'd1',
        roster_version: 'v1',
        person_id: `p${n}`,
        role: 'student',
        grade: '05',
        school_id: 'sch-1',
        school_ids: ['sch-1'],
        enabled: 1,
        status: 'active',
      })),
    );
    const test = (n: number, day: string, score: number) =>
      assessmentRow(`p${pad(n)}`, day, score, { assessment: 'MAP' });
    const students = [...range(1, 31), ...range(40, 52)];
    await insertRows(ch, 'assessment_results', [
      ...students.map((n) => test(n, '2026-09-01', 200)),
      ...students.map((n) => test(n, '2026-09-29', 200 + growthOf(n))),
    ]);
  });
  afterAll(async () => {
    await suite?.close();
  });

  it('maps days to school years', () => {
    expect(['2026-07-01', '2027-06-30', '2026-09-07'].map(schoolYearOf)).toEqual(['2026-27', '2026-27', '2026-27']);
    expect(schoolYearOf('2026-06-30')).toBe('2025-26');
    expect(schoolYearDays('2099-00')).toEqual({ from: '2099-07-01', to: '2100-06-30' });
    expect(() => schoolYearDays('2026-28')).toThrow(/not a school year/);
  });

  it('publishes the bands of every licensed app, suppressed by the outcomes rule', async () => {
    const written = await refreshOutcomeBands(ch, researchDb, '2026-27', 10, new Map([['app-a', 4]]));
    expect(written).toBe(9);
    const rows = await queryRows<Record<string, unknown>>(
      ch,
      `SELECT app_id, band, goal_minutes_per_week AS goal, students, mean_pre, mean_post, mean_growth, suppressed
       FROM ${researchDb}.outcome_bands WHERE school_year = '2026-27' ORDER BY app_id, band`,
    );
    const row = (
      app: string,
      band: string,
      goal: number,
      students: number | null,
      pre: number | null,
      post: number | null,
      growth: number | null,
    ) => ({
      app_id: app,
      band,
      goal,
      students,
      mean_pre: pre,
      mean_post: post,
      mean_growth: growth,
      suppressed: students === null ? 1 : 0,
    });
    expect(rows).toEqual([
      row('app-a', 'at_goal', 4, 12, 200, 212, 12),
      row('app-a', 'below_goal', 4, 19, 200, 206, 6),
      row('app-a', 'none', 4, 13, 200, 203, 3),
      row('app-b', 'at_goal', 30, 0, null, null, null),
      row('app-b', 'below_goal', 30, null, null, null, null),
      row('app-b', 'none', 30, null, null, null, null),
      row('app-c', 'at_goal', 30, 0, null, null, null),
      row('app-c', 'below_goal', 30, 0, null, null, null),
      row('app-c', 'none', 30, 44, 200, 206.75, 6.75),
    ]);
  });

  it('replaces the school year on a re-run', async () => {
    await refreshOutcomeBands(ch, researchDb, '2026-27', 20);
    const rows = await queryRows<{ app_id: string; band: string; students: number | null }>(
      ch,
      `SELECT app_id, band, students FROM ${researchDb}.outcome_bands WHERE app_id = 'app-a' ORDER BY band`,
    );
    // Default goal 30 now: p01–p31 are all below it (31); k = 20 hides none (13) and, as its complement,
    // below_goal; the empty at_goal is shown as 0.
    expect(rows).toEqual([
      { app_id: 'app-a', band: 'at_goal', students: 0 },
      { app_id: 'app-a', band: 'below_goal', students: null },
      { app_id: 'app-a', band: 'none', students: null },
    ]);
  });
});
