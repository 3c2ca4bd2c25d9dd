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
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  createClickHouse,
  ensureDatabase,
  insertRows,
  queryRows,
  splitStatements,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import { assessmentRow, createTestEnv, type TestEnv } from '@edusage/testkit';
import { ensureResearchSchema, publishSettled, refreshWeek, RESEARCH_MIGRATIONS_DIR } from '../src';
import { addEvents, foldStoredEvents, openResearchSuite, WEEK, type ResearchSuite } from './fixtures';

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
    expect((await publications('weekly_app_usage_district', WEEK)).map((p) => p.trigger).sort()).toEqual([
      'manual',
      'scheduled',
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

describe('a week held back whole', () => {
  let suite: ResearchSuite;
  beforeAll(async () => {
    suite = await openResearchSuite('research_publish_whole');
  });
  afterAll(async () => {
    await suite?.close();
  });

  it('writes none of the week while one table cannot be built from the same events, then all four at once', async () => {
    const { ch, researchDb } = suite;
    const appA = () =>
      queryRows<{ events: string }>(
        ch,
        `SELECT events FROM ${researchDb}.weekly_app_usage_district WHERE week_start = '${WEEK}' AND app_id = 'app-a'`,
      );
    // A stored event of the week not folded into the rollups yet: the grade table (from stored events)
    // would count it, the district table (from the rollups) not.
    await addEvents(ch, [{ person: 'p05', role: 'student', school: 'sch-1', app: 'app-a', day: '2026-09-12' }], {
      fold: false,
    });
    const held = await publishSettled(ch, researchDb, { today: '2026-09-29', settleWeeks: 2, k: 10 });
    const week = held.weeks.find((w) => w.week_start === WEEK)!;
    expect(week.kept.map((t) => t.table)).toEqual(['weekly_app_usage_grade']);
    expect(week.rows).toEqual({});
    expect(await appA()).toEqual([]);

    await foldStoredEvents(ch);
    const whole = await publishSettled(ch, researchDb, { today: '2026-09-30', settleWeeks: 2, k: 10 });
    expect(Object.keys(whole.weeks.find((w) => w.week_start === WEEK)!.rows).sort()).toEqual([
      'weekly_app_usage_district',
      'weekly_app_usage_grade',
      'weekly_app_usage_school',
      'weekly_license_utilization',
    ]);
    expect(await appA()).toEqual([{ events: '44' }]);
  });
});

describe('periods written before the publications log', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv('research_legacy', { kafka: false });
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('are logged as legacy by the migration, so the job does not write them again; open school years are not', async () => {
    const config = { ...env.config, CLICKHOUSE_DATABASE: `${env.config.CLICKHOUSE_DATABASE}_research` };
    await ensureDatabase(config);
    const research = createClickHouse(config);
    try {
      // The research schema as the previous version left it: its two migrations, and written periods.
      for (const file of ['0001_research_tables.sql', '0002_outcome_bands.sql'])
        for (const statement of splitStatements(readFileSync(path.join(RESEARCH_MIGRATIONS_DIR, file), 'utf8')))
          await research.command({ query: statement });
      await insertRows(research, 'weekly_app_usage_district', [
        {
          week_start: WEEK,
          district_id: 'd1',
          app_id: 'app-a',
          active_students: 31,
          events: 43,
          engaged_hours: 7,
          suppressed: 0,
          k: 10,
        },
      ]);
      const band = (school_year: string) => ({
        school_year,
        district_id: 'd1',
        app_id: 'app-a',
        assessment: 'MAP',
        subject: 'math',
        goal_minutes_per_week: 30,
        band: 'none',
        students: 12,
        suppressed: 0,
        k: 10,
      });
      await insertRows(research, 'outcome_bands', [band('2020-21'), band('2099-00')]);

      await ensureResearchSchema(env.config, config.CLICKHOUSE_DATABASE);
      const log = await queryRows<{ table_name: string; period: string; rows: string; trigger: string }>(
        research,
        'SELECT table_name, period, rows, trigger FROM publications ORDER BY table_name, period',
      );
      expect(log).toEqual([
        { table_name: 'outcome_bands', period: '2020-21', rows: '1', trigger: 'legacy' },
        { table_name: 'weekly_app_usage_district', period: WEEK, rows: '1', trigger: 'legacy' },
      ]);
    } finally {
      await research.close();
    }
  });
});
