/**
 * The privacy review's findings on the real ClickHouse (the suite's own databases), with the district
 * of fixtures.ts plus PRIVACY_EVENTS and PRIVACY_LICENSES; expected figures are written by hand.
 *
 * - Apps the district does not know (not resolved by the catalog, not in the license inventory) never
 *   become row keys: their use is one `unresolved` row per cell, with distinct students over all of
 *   them (not a sum per app).
 * - A license row whose `active` is a usage cell's count takes that cell's suppression, so licenses
 *   scoped to schools cannot undo the school table's complementary suppression; licenses counting
 *   other roles or a part of the week publish no `active`.
 * - `eligible` is published for the district's whole student body only: the head counts of nested
 *   scopes (schools, staff) add up and subtract.
 */
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { refreshWeek } from '../src';
import {
  FORMULA_APP,
  LICENSED_DOMAIN_APP,
  openResearchSuite,
  PERSONAL_APP,
  PRIVACY_EVENTS,
  PRIVACY_LICENSES,
  WEEK,
  type ResearchSuite,
} from './fixtures';

jest.setTimeout(180_000);

/** The fixed app_id of the use of apps the district does not know (docs/DATA_DICTIONARY.md). */
const UNRESOLVED_APP = 'unresolved';

/** Engaged hours of n events of 600 s. */
const hours = (events: number) => (events * 600) / 3600;

describe('research tables: privacy review', () => {
  let suite: ResearchSuite;
  let ch: ClickHouseClient;
  let researchDb: string;

  const read = <T>(table: string, order: string) =>
    queryRows<T>(ch, `SELECT * FROM ${researchDb}.${table} ORDER BY ${order}`);

  beforeAll(async () => {
    ({ ch, researchDb } = suite = await openResearchSuite('research_privacy', {
      extraEvents: PRIVACY_EVENTS,
      licenses: PRIVACY_LICENSES,
    }));
    const r = await refreshWeek(ch, researchDb, WEEK, 10);
    expect(r.kept).toEqual([]);
  });
  afterAll(async () => {
    await suite?.close();
  });

  it('keys usage rows only by apps the district knows, the rest as one unresolved row', async () => {
    type Row = { app_id: string; active_students: number | null; events: string | null; suppressed: number };
    const pick = (r: Row & Record<string, unknown>, key: string) => [
      r.app_id,
      r[key],
      r.active_students,
      r.events === null ? null : Number(r.events),
      r.suppressed,
    ];
    const district = await read<Row & { district_id: string }>('weekly_app_usage_district', 'app_id');
    expect(district.map((r) => pick(r, 'district_id'))).toEqual([
      ['app-a', 'd1', 31, 43, 0],
      ['app-b', 'd1', null, null, 1],
      // Not resolved by the catalog, but licensed by the district: its own row.
      [LICENSED_DOMAIN_APP, 'd1', 13, 13, 0],
      // The formula app (p01–p12, 12 events) and the personal site (p01–p03, 3 events): 12 distinct
      // students (a sum per app would say 15), 15 events.
      [UNRESOLVED_APP, 'd1', 12, 15, 0],
    ]);
    const school = await read<Row & { school_id: string }>('weekly_app_usage_school', 'app_id, school_id');
    expect(school.filter((r) => !r.app_id.startsWith('app-')).map((r) => pick(r, 'school_id'))).toEqual([
      [LICENSED_DOMAIN_APP, 'sch-3', 13, 13, 0],
      [UNRESOLVED_APP, 'sch-1', 12, 15, 0],
    ]);
    const grade = await read<Row & { grade: string }>('weekly_app_usage_grade', 'app_id, grade');
    expect(grade.filter((r) => !r.app_id.startsWith('app-')).map((r) => pick(r, 'grade'))).toEqual([
      [LICENSED_DOMAIN_APP, '06', 13, 13, 0],
      [UNRESOLVED_APP, '05', 12, 15, 0],
    ]);
    // Neither the personal host nor the free-text id is anywhere in the research database.
    for (const table of ['weekly_app_usage_district', 'weekly_app_usage_school', 'weekly_app_usage_grade']) {
      const apps = (await queryRows<{ a: string }>(ch, `SELECT DISTINCT app_id AS a FROM ${researchDb}.${table}`)).map(
        (r) => r.a,
      );
      expect({ table, personal: apps.includes(PERSONAL_APP), formula: apps.includes(FORMULA_APP) }).toEqual({
        table,
        personal: false,
        formula: false,
      });
    }
  });

  it('gives a license row the suppression of the usage cell it equals, and hides other audiences and part weeks', async () => {
    const rows = await read<Record<string, unknown>>('weekly_license_utilization', 'license_id');
    const pick = (r: Record<string, unknown>) => [
      r.license_id,
      r.school_id,
      r.eligible,
      r.active,
      r.utilization,
      r.reach,
      r.unused_seats,
      r.engaged_hours,
      r.active_suppressed,
    ];
    expect(rows.map(pick)).toEqual([
      // The district cell of app-a (31, published).
      ['L-A', '', 31, 31, 31 / 40, 1, 9, hours(43), 0],
      // sch-1's 12 is the school cell hidden as the complement of sch-2's 3: published, it gave back
      // 31 − 16 − 12 = 3.
      // Students and teachers: 12 students + t01 at sch-1. Its eligible (13) is not the district's
      // students: 13 − L-S1's 12 would count sch-1's staff.
      ['L-ALL1', 'sch-1', null, null, null, null, null, null, 1],
      // Students and teachers, only students used it: 13 equals the district cell, but a teacher count
      // is no usage cell (the research tables count students only); eligible 32 − 31 would give the
      // district's one teacher.
      ['L-ALLV', '', null, null, null, null, null, null, 1],
      // Term from Thursday: a part of the week (16 students Thursday to Sunday) is finer than a week.
      // Its scope is the district's students: their 31 is published.
      ['L-MID', '', 31, null, null, null, null, null, 1],
      // School head counts are not published: 31 − 12 − 16 would give sch-2's 3 students, and the
      // hidden usage cells of sch-1 and sch-2 (15 together) would be pinned to 12 and 3 by them.
      ['L-S1', 'sch-1', null, null, null, null, null, null, 1],
      ['L-S2', 'sch-2', null, null, null, null, null, null, 1],
      // The published school cell of sch-3; reach (active ÷ eligible) would give its head count.
      ['L-S3', 'sch-3', null, 16, 16 / 20, null, 4, hours(16), 0],
      ['L-V', '', 31, 13, 13 / 20, 13 / 31, 7, hours(13), 0],
      // From Thursday: the same 13 as the week, but a part of a week is hidden whatever it counts.
      ['L-V2', '', 31, null, null, null, null, null, 1],
    ]);
  });
});
