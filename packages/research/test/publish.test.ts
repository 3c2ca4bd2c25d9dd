/**
 * The scheduled publication on the real ClickHouse: a week is published once it has been complete for
 * RESEARCH_SETTLE_WEEKS weeks, a school year's outcome bands once the year is over and as settled, and
 * neither is written again by later runs, whatever arrives late: two versions of one period could be
 * differenced (a band of 24 then 25 students gives the 25th student's score). A rebuild by hand still
 * replaces a period, and `publications` records each write.
 *
 * The district of fixtures.ts (week of Monday 2026-09-07, app-a: 43 student events). With 2 settle
 * weeks the week is published from Tuesday 2026-09-29 on (complete two days after its Sunday, 09-15,
 * and two weeks more); school year 2026-27 (to 2027-06-30) from 2027-07-16 on.
 */
import { insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { assessmentRow } from '@edusage/testkit';
import { publishSettled, refreshWeek } from '../src';
import { addEvents, openResearchSuite, WEEK, type ResearchSuite } from './fixtures';

jest.setTimeout(180_000);

const pad = (n: number) => String(n).padStart(2, '0');

describe('publishing settled periods once', () => {
  let suite: ResearchSuite;
  let ch: ClickHouseClient;
  let researchDb: string;
  const publish = (today: string) => publishSettled(ch, researchDb, { today, settleWeeks: 2, k: 10 });

  const appA = async () =>
    (
      await queryRows<{ events: string | null }>(
        ch,
        `SELECT events FROM ${researchDb}.weekly_app_usage_district WHERE week_start = '${WEEK}' AND app_id = 'app-a'`,
      )
    ).map((r) => r.events);
  const publications = (table: string, period: string) =>
    queryRows<{ rows: string; trigger: string; k: number }>(
      ch,
      `SELECT rows, trigger, k FROM ${researchDb}.publications
       WHERE table_name = '${table}' AND period = '${period}' ORDER BY published_at, trigger`,
    );
  const bands = async () =>
    (
      await queryRows<{ band: string; students: number | null }>(
        ch,
        `SELECT band, students FROM ${researchDb}.outcome_bands
         WHERE school_year = '2026-27' AND app_id = 'app-a' ORDER BY band`,
      )
    ).map((r) => [r.band, r.students]);

  beforeAll(async () => {
    ({ ch, researchDb } = suite = await openResearchSuite('research_publish'));
  });
  afterAll(async () => {
    await suite?.close();
  });

  it('publishes a week once it settled, and never again on later runs', async () => {
    // Monday 09-28: complete since 09-15, but not for two weeks yet.
    const early = await publish('2026-09-28');
    expect(early.weeks.map((w) => w.week_start)).not.toContain(WEEK);
    expect(await appA()).toEqual([]);
    expect(await publications('weekly_app_usage_district', WEEK)).toEqual([]);

    const first = await publish('2026-09-29');
    expect(first.weeks.find((w) => w.week_start === WEEK)?.rows).toEqual({
      weekly_app_usage_district: 2,
      weekly_app_usage_school: expect.any(Number),
      weekly_app_usage_grade: expect.any(Number),
      weekly_license_utilization: expect.any(Number),
    });
    expect(await appA()).toEqual(['43']);
    expect(await publications('weekly_app_usage_district', WEEK)).toEqual([{ rows: '2', trigger: 'scheduled', k: 10 }]);

    // A late event of the week (p05, app-a, Saturday) arrives after publication.
    await addEvents(ch, [{ person: 'p05', role: 'student', school: 'sch-1', app: 'app-a', day: '2026-09-12' }]);
    const later = await publish('2026-09-30');
    expect(later.weeks.map((w) => w.week_start)).not.toContain(WEEK);
    expect(await appA()).toEqual(['43']);
    expect(await publications('weekly_app_usage_district', WEEK)).toHaveLength(1);

    // Asked for by hand, the week is rebuilt with the late event, and the log shows a second version.
    await refreshWeek(ch, researchDb, WEEK, 10);
    expect(await appA()).toEqual(['44']);
    expect((await publications('weekly_app_usage_district', WEEK)).map((p) => p.trigger)).toEqual([
      'scheduled',
      'manual',
    ]);
  });

  it('publishes a school year of outcome bands once it is over and settled, then never again', async () => {
    const test = (n: number, day: string, score: number) =>
      assessmentRow(`p${pad(n)}`, day, score, { assessment: 'MAP' });
    const students = Array.from({ length: 30 }, (_, i) => i + 1);
    await insertRows(ch, 'assessment_results', [
      ...students.map((n) => test(n, '2026-09-01', 200)),
      ...students.map((n) => test(n, '2026-09-29', 205)),
    ]);

    const open = await publish('2027-07-15');
    expect(open.outcomeBands).not.toHaveProperty('2026-27');
    expect(await bands()).toEqual([]);

    const closed = await publish('2027-07-16');
    expect(closed.outcomeBands['2026-27']).toBeGreaterThan(0);
    const published = await bands();
    expect(published.length).toBeGreaterThan(0);

    // A make-up test pair of p31 changes the year's figures; the published year stays as it was.
    await insertRows(ch, 'assessment_results', [test(31, '2026-09-02', 190), test(31, '2026-09-30', 230)]);
    const later = await publish('2027-07-20');
    expect(later.outcomeBands).not.toHaveProperty('2026-27');
    expect(await bands()).toEqual(published);
    expect((await publications('outcome_bands', '2026-27')).map((p) => p.trigger)).toEqual(['scheduled']);
  });
});
