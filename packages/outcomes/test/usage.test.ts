/**
 * Usage per student between their pre and post test, on the real ClickHouse: hand-made events and
 * results with figures worked out by hand from the metric rules.
 */
import { createClickHouse, insertRows, runMigrations, type ClickHouseClient } from '@edusage/clickhouse';
import {
  assessmentRow,
  createTestEnv,
  migrationsDir,
  startCurrentClickHouse,
  type CurrentClickHouse,
  type TestEnv,
} from '@edusage/testkit';
import { campusGroup, loadStudentWindows } from '../src';

jest.setTimeout(120_000);

const D = 'd1';
let offset = 0;
function event(
  person: string,
  day: string,
  time: string,
  o: { seconds?: number; hit?: boolean; campus?: 'on' | 'off' | 'unknown'; app?: string } = {},
) {
  return {
    district_id: D,
    local_date: day,
    occurred_at: `${day} ${time}`,
    school_id: '',
    class_id: '',
    class_attribution: 'none',
    person_id: person,
    person_resolved: 1,
    role: 'student',
    app_id: o.app ?? 'ixl',
    app_resolved: 1,
    app_domain: '',
    source: 'agent',
    event_type: o.hit ? 'page_view' : 'use',
    campus: o.campus ?? 'off',
    explicit_seconds: o.seconds ?? 0,
    counts_minute: o.hit ? 1 : 0,
    event_id: `e${offset}`,
    dedup_key: `k${offset}`,
    kafka_topic: 'usage.enriched',
    kafka_partition: 0,
    kafka_offset: offset++,
    stored_at: '2026-01-01 00:00:00',
  };
}
const result = (person: string, day: string, score: number, projected: number | null = null) =>
  assessmentRow(person, day, score, { district_id: D, projected_growth: projected });

/** Writes the hand-made events, revisions, results and roster rows. */
async function seed(ch: ClickHouseClient): Promise<void> {
  const events = [
    // p1: tests 2026-09-07 and 2026-09-21 (14 days = 2 weeks).
    event('p1', '2026-09-06', '15:00:00', { seconds: 999 }), // before the pre test: not counted
    event('p1', '2026-09-07', '15:00:00', { seconds: 600, campus: 'on' }), // pre day counts: 600 s on campus
    event('p1', '2026-09-08', '15:00:10', { hit: true }), // minute 15:00 → 60 s
    event('p1', '2026-09-08', '15:00:50', { hit: true }), // same minute: nothing more
    event('p1', '2026-09-08', '15:01:00', { hit: true, campus: 'on' }), // another minute → 60 s on campus
    event('p1', '2026-09-10', '18:00:00', { seconds: 300, app: 'quizlet' }), // another app
    event('p1', '2026-09-21', '15:00:00', { seconds: 999 }), // the post day: not counted
    // p2's event was stored under an unresolved pseudonym and revised to p2 (late roster).
    event('unresolved-x', '2026-09-09', '16:00:00', { seconds: 120 }),
    // p3 has tests but never used the app: this event was stored under p3 and revised to somebody else.
    event('p3', '2026-09-10', '11:00:00', { seconds: 500 }),
    // p6: tests 2026-09-07 and 2026-09-21; part of the use without a known place (no IP, e.g. Caliper).
    event('p6', '2026-09-10', '10:00:00', { seconds: 300, campus: 'unknown' }), // 300 s, place unknown
    event('p6', '2026-09-10', '10:05:20', { hit: true, campus: 'unknown' }), // minute 10:05 → 60 s
    event('p6', '2026-09-10', '10:05:40', { hit: true, campus: 'on' }), // same minute: 60 s known, on campus
    event('p6', '2026-09-11', '11:00:00', { seconds: 120, campus: 'off' }), // 120 s known, off campus
  ];
  await insertRows(ch, 'usage_events', events);
  const revised = {
    ...events[7]!,
    person_id: 'p2',
    revision: 5,
    roster_version: 'v2',
    revised_at: '2026-01-02 00:00:00',
  };
  const movedAway = {
    ...events[8]!,
    person_id: 'other-student',
    revision: 3,
    roster_version: 'v2',
    revised_at: '2026-01-02 00:00:00',
  };
  await insertRows(ch, 'usage_event_revisions', [revised, movedAway]);
  await insertRows(ch, 'assessment_results', [
    result('p1', '2026-09-07', 200, 5),
    result('p1', '2026-09-21', 210),
    result('p1', '2026-09-21', 207), // a second record the same day: the higher score (210) counts
    result('p2', '2026-09-07', 190, 4),
    result('p2', '2026-09-21', 195),
    result('p3', '2026-09-08', 180),
    result('p3', '2026-09-22', 181),
    result('p6', '2026-09-07', 200),
    result('p6', '2026-09-21', 204),
    result('p4', '2026-09-07', 220), // one test only: no pair
    result('p5', '2026-06-01', 170), // outside the window
    result('p5', '2026-09-21', 175),
    // p7 retook the pre test (an abandoned first attempt): one occasion, its best score (196) counts.
    result('p7', '2026-09-07', 150, 9),
    result('p7', '2026-09-10', 196, 6),
    result('p7', '2026-09-28', 201),
    result('p8', '2026-09-07', 180), // a retest 2 days later is no post test: no pair
    result('p8', '2026-09-09', 186),
    // p9's post score was mistyped (230) in the first import; a later import corrected that day (203).
    // The correction replaces the day's result (no duplicate record); the pre day keeps its 200.
    { ...result('p9', '2026-09-07', 200), imported_ms: 1000 },
    { ...result('p9', '2026-09-21', 230), imported_ms: 1000 },
    { ...result('p9', '2026-09-21', 203), imported_ms: 2000 },
  ]);
  await insertRows(ch, 'dim_people', [
    {
      district_id: D,
      roster_version: 'r1',
      person_id: 'p1',
      role: 'student',
      grade: '05',
      school_id: 'sch-1',
      school_ids: ['sch-1'],
      enabled: 1,
      status: 'active',
    },
  ]);
  await insertRows(ch, 'dim_roster_versions', [
    {
      district_id: D,
      roster_version: 'r1',
      imported_ms: 1,
      imported_at: '2026-01-01 00:00:00',
      oneroster_version: '1.1',
      orgs: 1,
      classes: 0,
      people: 1,
      enrollments: 0,
    },
  ]);
}

/** The figures worked out by hand from the metric rules. */
async function expectHandComputedFigures(ch: ClickHouseClient): Promise<void> {
  const data = await loadStudentWindows(ch, {
    districtId: D,
    app: 'ixl',
    assessment: 'map_growth',
    subject: 'math',
    from: '2026-08-01',
    to: '2026-12-31',
  });
  const view = data.students.map((s) => [
    s.personId,
    s.preDate,
    s.postDate,
    s.pre,
    s.post,
    s.projectedGrowth,
    s.engagedSeconds,
    s.knownCampusSeconds,
    s.onCampusSeconds,
    s.daysUsed,
    s.minutesPerWeek,
    s.grade,
    s.schoolId,
  ]);
  expect(view).toEqual([
    // 600 + 60 + 60 s over 2 weeks = 12 min / 2 = 6 min/week; 2 days used (09-07, 09-08); all of it
    // with a known place, 600 + 60 on campus.
    ['p1', '2026-09-07', '2026-09-21', 200, 210, 5, 720, 720, 660, 2, 6, '05', 'sch-1'],
    ['p2', '2026-09-07', '2026-09-21', 190, 195, 4, 120, 120, 0, 1, 1, '', ''],
    ['p3', '2026-09-08', '2026-09-22', 180, 181, null, 0, 0, 0, 0, 0, '', ''],
    // 300 + 60 (minute 10:05) + 120 = 480 s = 8 min / 2 weeks; known place: 60 + 120 = 180, on campus 60.
    ['p6', '2026-09-07', '2026-09-21', 200, 204, null, 480, 180, 60, 2, 4, '', ''],
    ['p7', '2026-09-07', '2026-09-28', 196, 201, 6, 0, 0, 0, 0, 0, '', ''],
    ['p9', '2026-09-07', '2026-09-21', 200, 203, null, 0, 0, 0, 0, 0, '', ''],
  ]);
  // On-campus shares of the time with a known place: p1 660/720, p2 0, p6 60/180 = exactly 1/3.
  expect(data.students.map(campusGroup)).toEqual(['mostly_on', 'mostly_off', null, 'mostly_off', null, null]);
  // p4 has one test; p5's first test is outside the window, leaving one; p8's two are 2 days apart.
  expect(data.withoutPair).toBe(3);
  // p1's second record of 09-21, p7's abandoned first attempt (p9's replaced result is not one).
  expect(data.duplicateRecords).toBe(2);
}

/**
 * District d2: the occasion boundary (both ends of "within 7 days" included) and the grade at testing.
 * Nobody used the app; only the scores, the duplicate records and the grades matter here.
 */
const D2 = 'd2';
const result2 = (person: string, day: string, score: number, grade = '') =>
  assessmentRow(person, day, score, { district_id: D2, grade });

async function seedBoundaries(ch: ClickHouseClient): Promise<void> {
  await insertRows(ch, 'assessment_results', [
    // b1: a make-up exactly 7 days after the pre test and a retake exactly 7 days before the post test:
    // both in their occasion, so the best scores count (190, 207) and the other two are duplicates.
    result2('b1', '2026-09-14', 150),
    result2('b1', '2026-09-21', 190),
    result2('b1', '2026-10-19', 207),
    result2('b1', '2026-10-26', 205),
    // b2: 8 days after the pre test is no longer its occasion (nor the post's): pre 160, post 170.
    result2('b2', '2026-09-14', 160),
    result2('b2', '2026-09-22', 195),
    result2('b2', '2026-10-26', 170),
    // b3: a pair exactly 14 days apart; 09-14 is 7 days from both and counts once, as the pre's make-up.
    result2('b3', '2026-09-07', 170),
    result2('b3', '2026-09-14', 175),
    result2('b3', '2026-09-21', 180),
    // Grades at testing, the roster's grade having changed since (promoted, or a new roster).
    result2('g1', '2026-09-07', 200, '4'), // g1: the post test's grade counts: '5' → 05 (roster 06)
    result2('g1', '2026-09-28', 210, '5'),
    result2('g2', '2026-09-07', 200, 'K'), // g2: the post test has none: the pre test's, K → KG (roster 01)
    result2('g2', '2026-09-28', 210),
    result2('g3', '2026-09-07', 200, 'Fourth grade'), // g3: an Ed-Fi descriptor → 04 (roster 05)
    result2('g3', '2026-09-28', 210, 'Fourth grade'),
    result2('g4', '2026-09-07', 200), // g4: no grade with the results: the roster's (03)
    result2('g4', '2026-09-28', 210),
  ]);
  const person = (person_id: string, grade: string) => ({
    district_id: D2,
    roster_version: 'r2',
    person_id,
    role: 'student',
    grade,
    school_id: 'sch-1',
    school_ids: ['sch-1'],
    enabled: 1,
    status: 'active',
  });
  await insertRows(ch, 'dim_people', [person('g1', '06'), person('g2', '01'), person('g3', '05'), person('g4', '03')]);
  await insertRows(ch, 'dim_roster_versions', [
    {
      district_id: D2,
      roster_version: 'r2',
      imported_ms: 1,
      imported_at: '2026-01-01 00:00:00',
      oneroster_version: '1.1',
      orgs: 1,
      classes: 0,
      people: 4,
      enrollments: 0,
    },
  ]);
}

async function loadD2(ch: ClickHouseClient) {
  return loadStudentWindows(ch, {
    districtId: D2,
    app: 'ixl',
    assessment: 'map_growth',
    subject: 'math',
    from: '2026-08-01',
    to: '2026-12-31',
  });
}

async function expectOccasionBoundary(ch: ClickHouseClient): Promise<void> {
  const data = await loadD2(ch);
  const view = data.students.filter((s) => s.personId.startsWith('b'));
  expect(view.map((s) => [s.personId, s.preDate, s.postDate, s.pre, s.post])).toEqual([
    ['b1', '2026-09-14', '2026-10-26', 190, 207],
    ['b2', '2026-09-14', '2026-10-26', 160, 170],
    ['b3', '2026-09-07', '2026-09-21', 175, 180],
  ]);
  // b1's 09-14 and 10-26, b3's 09-07 (b2's 09-22 is in no occasion: not a duplicate of either).
  expect(data.duplicateRecords).toBe(3);
}

async function expectGradeAtTesting(ch: ClickHouseClient): Promise<void> {
  const view = (await loadD2(ch)).students.filter((s) => s.personId.startsWith('g'));
  expect(view.map((s) => [s.personId, s.grade])).toEqual([
    ['g1', '05'],
    ['g2', 'KG'],
    ['g3', '04'],
    ['g4', '03'],
  ]);
}

describe('usage per student in an assessment window (ClickHouse 18.16)', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  beforeAll(async () => {
    env = await createTestEnv('outcomes_usage', { kafka: false });
    ch = createClickHouse(env.config);
    await seed(ch);
    await seedBoundaries(ch);
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
  });

  it('sums engaged time and days between pre and post, per the metric rules', async () => {
    await expectHandComputedFigures(ch);
  });

  it('a make-up exactly 7 days after the pre test (or before the post test) is its occasion; 8 days is not', async () => {
    await expectOccasionBoundary(ch);
  });

  it("the grade is the result's at testing (post, else pre), else the roster's, as a grade code", async () => {
    await expectGradeAtTesting(ch);
  });

  it('pairs tests closer together when asked (minPairDays), with occasions of half that', async () => {
    const data = await loadStudentWindows(ch, {
      districtId: D,
      app: 'ixl',
      assessment: 'map_growth',
      subject: 'math',
      from: '2026-08-01',
      to: '2026-12-31',
      minPairDays: 2,
    });
    // p8's tests two days apart now pair (occasions of 1 day after the pre and before the post test);
    // p7's days 09-07 and 09-10 are no longer one occasion, so its pre is the first attempt (150,
    // projected growth 9).
    const view = (id: string) => data.students.find((s) => s.personId === id);
    expect([view('p8')?.pre, view('p8')?.post]).toEqual([180, 186]);
    expect([view('p7')?.pre, view('p7')?.post, view('p7')?.projectedGrowth]).toEqual([150, 201, 9]);
    expect(data.withoutPair).toBe(2);
  });
});

describe('usage per student in an assessment window (current ClickHouse, chdb)', () => {
  let current: CurrentClickHouse;
  beforeAll(async () => {
    current = await startCurrentClickHouse('edusage_outcomes_current');
    await runMigrations(current.client, migrationsDir());
    await seed(current.client);
    await seedBoundaries(current.client);
  });
  afterAll(async () => {
    await current?.close();
  });

  it('gives the same figures', async () => {
    await expectHandComputedFigures(current.client);
    await expectOccasionBoundary(current.client);
    await expectGradeAtTesting(current.client);
  });
});
