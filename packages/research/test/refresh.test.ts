/**
 * The research refresh on the real ClickHouse (the suite's own databases): weekly usage per district,
 * school and grade counts distinct students over the week (not a sum of days), reads the current
 * version of revised events, leaves out other roles and other weeks, suppresses small cells and their
 * complements; license utilization comes from the licenses report with its small counts hidden. A
 * re-run replaces the week instead of adding to it. Expected figures are written by hand from the
 * district described in fixtures.ts.
 */
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { dropStaleStaging, refreshWeek } from '../src';
import { openResearchSuite, WEEK, type ResearchSuite } from './fixtures';

jest.setTimeout(180_000);

const hours = (events: number) => (events * 600) / 3600;

describe('research refresh', () => {
  let suite: ResearchSuite;
  let ch: ClickHouseClient;
  let researchDb: string;

  const read = <T>(table: string, order: string) =>
    queryRows<T>(ch, `SELECT * FROM ${researchDb}.${table} ORDER BY ${order}`);

  beforeAll(async () => {
    ({ ch, researchDb } = suite = await openResearchSuite('research_refresh'));
  });
  afterAll(async () => {
    await suite?.close();
  });

  it('builds the weekly usage tables with distinct weekly students and suppression', async () => {
    const result = await refreshWeek(ch, researchDb, WEEK, 10);
    expect(result.rows.weekly_app_usage_district).toBe(2);

    const district = await read<Record<string, unknown>>('weekly_app_usage_district', 'app_id');
    expect(district).toEqual([
      // 31 students: p01–p30 and p31 (revised); p01–p12 active on two days count once.
      {
        week_start: WEEK,
        district_id: 'd1',
        app_id: 'app-a',
        active_students: 31,
        events: '43',
        engaged_hours: hours(43),
        suppressed: 0,
        k: 10,
      },
      // 4 students < k.
      {
        week_start: WEEK,
        district_id: 'd1',
        app_id: 'app-b',
        active_students: null,
        events: null,
        engaged_hours: null,
        suppressed: 1,
        k: 10,
      },
    ]);

    const school = await read<{
      school_id: string;
      app_id: string;
      active_students: number | null;
      suppressed: number;
    }>('weekly_app_usage_school', 'app_id, school_id');
    expect(school.map((r) => [r.app_id, r.school_id, r.active_students, r.suppressed])).toEqual([
      // sch-2 (3) is below k; alone it could be recovered from the district total, so the smallest
      // visible school (sch-1, 12) is hidden too.
      ['app-a', 'sch-1', null, 1],
      ['app-a', 'sch-2', null, 1],
      ['app-a', 'sch-3', 16, 0],
      ['app-b', 'sch-1', null, 1],
    ]);

    const grade = await read<{
      grade: string;
      app_id: string;
      active_students: number | null;
      events: string | null;
      suppressed: number;
    }>('weekly_app_usage_grade', 'app_id, grade');
    expect(grade.map((r) => [r.app_id, r.grade, r.active_students, r.events, r.suppressed])).toEqual([
      // '' (p29, p30) below k; complementary: grade 05 (12) hidden as well; 06 = p13–p28 + p31.
      ['app-a', '', null, null, 1],
      ['app-a', '05', null, null, 1],
      ['app-a', '06', 17, '17', 0],
      ['app-b', '05', null, null, 1],
    ]);
  });

  it('publishes license utilization of the week with small counts hidden', async () => {
    const rows = await read<Record<string, unknown>>('weekly_license_utilization', 'license_id');
    const pick = (r: Record<string, unknown>) => [
      r.license_id,
      r.seats,
      r.eligible,
      r.active,
      r.utilization,
      r.reach,
      r.unused_seats,
      r.active_suppressed,
    ];
    expect(rows.map(pick)).toEqual([
      // 31 enabled students in the roster, all eligible; 31 of them used app-a.
      ['L-A', 40, 31, 31, 31 / 40, 1, 9, 0],
      // 4 active: hidden with everything derived from it.
      ['L-B', 10, 31, null, null, null, null, 1],
      // Never used: 0 reveals nobody and stays.
      ['L-C', 5, 31, 0, 0, 0, 5, 0],
    ]);
  });

  it('publishes no person id anywhere', async () => {
    const people = (await queryRows<{ person_id: string }>(ch, 'SELECT DISTINCT person_id FROM usage_events')).map(
      (r) => r.person_id,
    );
    expect(people.length).toBeGreaterThan(30);
    const columns = await queryRows<{ table: string; name: string }>(
      ch,
      `SELECT table, name FROM system.columns WHERE database = '${researchDb}' AND type LIKE '%String%'`,
    );
    for (const { table, name } of columns) {
      const values = await queryRows<{ v: string }>(ch, `SELECT DISTINCT ${name} AS v FROM ${researchDb}.${table}`);
      for (const { v } of values)
        expect({ table, name, v, person: people.includes(v) }).toMatchObject({ person: false });
    }
  });

  it('replaces the week on a re-run and applies a larger k', async () => {
    await refreshWeek(ch, researchDb, WEEK, 20);
    const district = await read<{ app_id: string; active_students: number | null; k: number }>(
      'weekly_app_usage_district',
      'app_id',
    );
    expect(district.map((r) => [r.app_id, r.active_students, r.k])).toEqual([
      ['app-a', 31, 20],
      ['app-b', null, 20],
    ]);
    const school = await read<{ active_students: number | null }>('weekly_app_usage_school', 'app_id, school_id');
    // Every school cell is below 20 now.
    expect(school.map((r) => r.active_students)).toEqual([null, null, null, null]);
  });

  it('keeps the grade week when its events are gone (retention) while the rollups are kept', async () => {
    const before = await read<{ grade: string; active_students: number | null }>(
      'weekly_app_usage_grade',
      'app_id, grade',
    );
    await ch.command({ query: "ALTER TABLE usage_events DROP PARTITION ID '202609'" });
    await ch.command({ query: "ALTER TABLE usage_event_revisions DROP PARTITION ID '202609'" });
    const r = await refreshWeek(ch, researchDb, WEEK, 10);
    // 47 student events in the rollups: app-a 43, app-b 4.
    expect(r.kept).toEqual([
      { table: 'weekly_app_usage_grade', reason: expect.stringMatching(/rollups \(47\) and the stored events \(0\)/) },
    ]);
    expect(r.rows.weekly_app_usage_district).toBe(2);
    expect(await read('weekly_app_usage_grade', 'app_id, grade')).toEqual(before);
    expect(before).toHaveLength(4);
  });

  it('leaves no staging table behind, and drops those of an interrupted run once a day old', async () => {
    const staging = () =>
      queryRows<{ name: string }>(
        ch,
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'research_staging_')",
      );
    expect(await staging()).toEqual([]);
    await ch.command({ query: 'CREATE TABLE research_staging_left_behind (x UInt8) ENGINE = Memory' });
    // Not a day old yet: kept (a refresh running right now may own it).
    expect(await dropStaleStaging(ch)).toEqual([]);
    expect(await staging()).toEqual([{ name: 'research_staging_left_behind' }]);
    await ch.command({ query: 'DROP TABLE research_staging_left_behind' });
  });

  it('refuses k below 5 and a week_start that is not a Monday', async () => {
    await expect(refreshWeek(ch, researchDb, WEEK, 4)).rejects.toThrow(/k must be a whole number ≥ 5/);
    await expect(refreshWeek(ch, researchDb, '2026-09-08', 10)).rejects.toThrow(/not a Monday/);
  });
});
