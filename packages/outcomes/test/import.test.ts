/**
 * Assessment import on the real ClickHouse (the suite's own database): students matched to the roster
 * by sourcedId, state/local identifier or email are stored only as enrich's pseudonym; unmatched and
 * ambiguous students are counted, never stored; bad rows are reported and the good ones beside them
 * kept; importing the same file again changes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { pseudonymize, saveRosterToRedis } from '@edusage/enrich';
import { Redis } from 'ioredis';
import { createTestEnv, fixturesDir, type TestEnv } from '@edusage/testkit';
import { importLicenses } from '@edusage/licenses';
import {
  appCost,
  costPerStudent,
  formatSummary,
  importAssessments,
  loadMatcher,
  loadStudentWindows,
  RosterMatcher,
} from '../src';
import { rosterOf, student } from './support/roster';

jest.setTimeout(120_000);

const KEY = 'outcomes-test-pseudonym-key-0123';
const D = 'd1';
const bundles = path.join(fixturesDir(), 'edanalytics-earthmover_edfi_bundles');

const SHARED = 'an id or email of the row belongs to several roster students: ambiguous, not stored';
const CONFLICT = "the row's student ids / email name different roster students: ambiguous, not stored";

describe('assessment import', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  let dir: string;
  beforeAll(async () => {
    env = await createTestEnv('outcomes_import', { kafka: false });
    ch = createClickHouse(env.config);
    dir = mkdtempSync(path.join(os.tmpdir(), 'outcomes-import-'));
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = () =>
    queryRows<{
      person_id: string;
      assessment: string;
      subject: string;
      test_date: string;
      score: number;
      projected_growth: number | null;
    }>(
      ch,
      `SELECT person_id, assessment, subject, toString(test_date) AS test_date, score, projected_growth
       FROM assessment_results FINAL ORDER BY assessment, subject, person_id, test_date, score`,
    );

  it('stores matched students by pseudonym, counts the others, and a re-import changes nothing', async () => {
    // 605001 is known by its state id (roster identifier); 605002 is a roster sourcedId; the MAP
    // students 605000-605005 are not in the roster except 605003 via its state id 604824.
    const matcher = new RosterMatcher(
      D,
      rosterOf([
        student('stu-1', { identifiers: ['605001'] }),
        student('605002'),
        student('stu-3', { identifiers: ['604824'] }),
        student('teacher-1', { role: 'teacher', identifiers: ['605004'] }),
      ]),
      KEY,
    );
    const ela = path.join(bundles, 'i-Ready/data/sample_anonymized_file_ela.csv');
    const map = path.join(bundles, 'MAP_Growth/data/sample_anonymized_file.csv');
    const first = await importAssessments({ districtId: D, file: ela, preset: 'iready', matcher, ch });
    expect(first).toMatchObject({ rows: 5, stored: 5, rejected: 0, unmatched: 0, ambiguous: 0, refused: null });
    const mapSummary = await importAssessments({ districtId: D, file: map, preset: 'map-growth', matcher, ch });
    // Rows 3 (605001, identifier), 4 (605002, sourcedId) and 5 (605003, state id 604824) match; a
    // teacher's id (605004) is not a student's; 605000 (2 rows) and 605005 are not in the roster.
    expect(mapSummary).toMatchObject({ rows: 7, stored: 3, unmatched: 4 });

    const p1 = pseudonymize(KEY, D, 'stu-1');
    const p2 = pseudonymize(KEY, D, '605002');
    const p3 = pseudonymize(KEY, D, 'stu-3');
    const before = await stored();
    const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();
    expect(sorted(before.map((r) => [r.assessment, r.person_id, r.test_date, r.score]))).toEqual(
      sorted([
        ['iready_diagnostic', p1, '2026-01-13', 424],
        ['iready_diagnostic', p1, '2026-05-19', 468],
        ['iready_diagnostic', p2, '2025-08-27', 572],
        ['iready_diagnostic', p2, '2026-01-13', 593],
        ['iready_diagnostic', p2, '2026-04-21', 575],
        ['map_growth', p1, '2021-09-16', 233],
        ['map_growth', p2, '2021-09-16', 208],
        ['map_growth', p3, '2021-09-16', 233],
      ]),
    );

    // No raw id reaches ClickHouse: no column of any row holds one of the file's student ids.
    const raw = await queryRows<{ n: string }>(
      ch,
      `SELECT count() AS n FROM assessment_results WHERE person_id IN ('605001','605002','604824','605003') OR position(grade, '6050') > 0`,
    );
    expect(Number(raw[0]!.n)).toBe(0);

    await importAssessments({ districtId: D, file: ela, preset: 'iready', matcher, ch });
    await importAssessments({ districtId: D, file: map, preset: 'map-growth', matcher, ch });
    expect(await stored()).toEqual(before);
    await ch.command({ query: 'OPTIMIZE TABLE assessment_results FINAL' });
    const count = await queryRows<{ n: string }>(ch, 'SELECT count() AS n FROM assessment_results');
    expect(Number(count[0]!.n)).toBe(before.length);
  });

  it('matches by email, never guesses an id two students share, and keeps the good rows beside bad ones', async () => {
    const matcher = new RosterMatcher(
      'd2',
      rosterOf([
        student('a', { email: 'Ana@School.org', identifiers: ['777'] }),
        student('b', { identifiers: ['777'] }),
      ]),
      KEY,
    );
    const file = path.join(dir, 'generic.csv');
    writeFileSync(
      file,
      [
        'id,mail,score,date',
        ',ana@school.org,250,2025-09-01', // 2: email match
        '777,,251,2025-09-01', // 3: ambiguous id
        '999,,252,2025-09-01', // 4: not in the roster
        '777,,abc,2025-09-01', // 5: bad score
        ',ana@school.org,260,2025-02-30', // 6: bad date
        ',ANA@school.org,400,2026-05-01', // 7: outside the scale
        ',ana@school.org,270,2026-05-01', // 8: email match
      ].join('\n'),
    );
    const s = await importAssessments({
      districtId: 'd2',
      file,
      preset: 'generic',
      mapping: {
        columns: { studentId: 'id', email: 'mail', score: 'score', testDate: 'date' },
        constants: { assessment: 'district_benchmark', subject: 'Math' },
        scale: { min: 100, max: 350 },
      },
      matcher,
      ch,
    });
    expect(s).toMatchObject({ rows: 7, stored: 2, rejected: 3, unmatched: 1, ambiguous: 1 });
    expect(s.issues).toEqual([
      { file: 'generic.csv', line: 3, message: SHARED },
      { file: 'generic.csv', line: 5, field: 'score', message: 'not a number: "abc"' },
      { file: 'generic.csv', line: 6, field: 'date', message: 'not a date: "2025-02-30"' },
      { file: 'generic.csv', line: 7, field: 'score', message: '400 is outside the scale [100, 350]' },
    ]);
    const rows = await queryRows<{ person_id: string; score: number; subject: string }>(
      ch,
      `SELECT person_id, score, subject FROM assessment_results FINAL WHERE district_id = 'd2' ORDER BY score`,
    );
    const a = pseudonymize(KEY, 'd2', 'a');
    expect(rows).toEqual([
      { person_id: a, score: 250, subject: 'math' },
      { person_id: a, score: 270, subject: 'math' },
    ]);
  });

  it("a row whose ids name two different students is reported as ambiguous with its line, never stored as either's", async () => {
    // SIS keys are the sourcedIds; MAP's StudentID is the student number. Line 3's StudentID 605001 is
    // student A's sourcedId, its Student_StateID 604822 student B's state id: it belongs to neither.
    // Line 4's ids both name 605002; line 5's two ids both name stu-5.
    const matcher = new RosterMatcher(
      'd4',
      rosterOf([
        student('605001'),
        student('stu-b', { identifiers: ['604822'] }),
        student('605002', { identifiers: ['604823'] }),
        student('stu-5', { identifiers: ['605003', '604824'] }),
      ]),
      KEY,
    );
    const map = path.join(bundles, 'MAP_Growth/data/sample_anonymized_file.csv');
    const s = await importAssessments({ districtId: 'd4', file: map, preset: 'map-growth', matcher, ch });
    expect(s).toMatchObject({ rows: 7, stored: 2, rejected: 0, unmatched: 4, ambiguous: 1, refused: null });
    expect(s.issues).toEqual([{ file: 'sample_anonymized_file.csv', line: 3, message: CONFLICT }]);
    expect(formatSummary(s)).toBe(
      'sample_anonymized_file.csv (map-growth): 7 rows read, 2 stored, 0 rejected, 4 students not in the roster, ' +
        `1 ambiguous (not stored)\n  sample_anonymized_file.csv:3: ${CONFLICT}`,
    );
    const rows = await queryRows<{ person_id: string; score: number }>(
      ch,
      `SELECT person_id, score FROM assessment_results FINAL WHERE district_id = 'd4' ORDER BY person_id, score`,
    );
    const expected = [
      { person_id: pseudonymize(KEY, 'd4', '605002'), score: 208 },
      { person_id: pseudonymize(KEY, 'd4', 'stu-5'), score: 233 },
    ].sort((x, y) => (x.person_id < y.person_id ? -1 : 1));
    expect(rows).toEqual(expected);
  });

  it('--subject Math is stored as math, and analyze finds it as math, Math or Mathematics', async () => {
    const matcher = new RosterMatcher('d5', rosterOf([student('s1'), student('s2')]), KEY);
    const file = path.join(dir, 'star.csv');
    // A Star file without Lexile / Quantile columns: the subject comes from --subject.
    writeFileSync(
      file,
      [
        'StudentSourcedID,CompletedDateLocal,ScaledScore',
        's1,2026-09-01,500',
        's1,2026-12-01,560',
        's2,2026-09-02,610',
        's2,2026-12-02,650',
      ].join('\n'),
    );
    const s = await importAssessments({
      districtId: 'd5',
      file,
      preset: 'star',
      options: { subject: 'Math' },
      matcher,
      ch,
    });
    expect(s).toMatchObject({ rows: 4, stored: 4, rejected: 0, refused: null });
    const subjects = await queryRows<{ subject: string }>(
      ch,
      `SELECT DISTINCT subject FROM assessment_results FINAL WHERE district_id = 'd5'`,
    );
    expect(subjects).toEqual([{ subject: 'math' }]);
    const q = { districtId: 'd5', app: 'ixl', assessment: 'star', from: '2026-08-01', to: '2027-06-30' };
    for (const subject of ['math', 'Math', 'Mathematics']) {
      const w = await loadStudentWindows(ch, { ...q, subject });
      expect([subject, w.students.map((x) => [x.pre, x.post])]).toEqual([
        subject,
        expect.arrayContaining([
          [500, 560],
          [610, 650],
        ]),
      ]);
      expect(w.students).toHaveLength(2);
    }
  });

  it('a corrected file replaces the scores of the days it holds; other days keep theirs', async () => {
    const matcher = new RosterMatcher('d6', rosterOf([student('s1'), student('s2')]), KEY);
    const star = (name: string, rows: string[]) => {
      const file = path.join(dir, name);
      writeFileSync(file, ['StudentSourcedID,CompletedDateLocal,ScaledScore', ...rows].join('\n'));
      return file;
    };
    const importStar = (file: string) =>
      importAssessments({ districtId: 'd6', file, preset: 'star', options: { subject: 'math' }, matcher, ch });
    const pairs = async () => {
      const w = await loadStudentWindows(ch, {
        districtId: 'd6',
        app: 'ixl',
        assessment: 'star',
        subject: 'math',
        from: '2026-08-01',
        to: '2027-06-30',
      });
      const who = (id: string) => (id === pseudonymize(KEY, 'd6', 's1') ? 's1' : 's2');
      // A replaced result is not a duplicate record of the day.
      return {
        students: w.students.map((x) => [who(x.personId), x.pre, x.post]).sort(),
        duplicates: w.duplicateRecords,
      };
    };
    // s1's December score was mistyped (660 for 560).
    await importStar(
      star('fall.csv', ['s1,2026-09-01,500', 's1,2026-12-01,660', 's2,2026-09-02,610', 's2,2026-12-02,650']),
    );
    expect(await pairs()).toEqual({
      students: [
        ['s1', 500, 660],
        ['s2', 610, 650],
      ],
      duplicates: 0,
    });
    // The vendor's correction holds only that result: it replaces s1's December day, nothing else.
    await importStar(star('correction.csv', ['s1,2026-12-01,560']));
    expect(await pairs()).toEqual({
      students: [
        ['s1', 500, 560],
        ['s2', 610, 650],
      ],
      duplicates: 0,
    });
  });

  it('costs the app from the license inventory: licenses overlapping the window, one currency', async () => {
    const file = path.join(dir, 'licenses.csv');
    writeFileSync(
      file,
      [
        'licenseId,appId,vendor,orgSourcedId,seatsPurchased,contractCost,costBasis,currency,contractStartDate,contractEndDate,renewalDate,audience,grades,notes',
        'a,ixl,IXL,d3,90,12,per_seat,USD,2026-07-01,2027-06-30,,students,,', // 90 × 12 = 1080
        'b,ixl,IXL,d3,10,100,flat,USD,2026-07-01,2027-06-30,,students,,', // 100
        'c,ixl,IXL,d3,10,999,flat,USD,2025-07-01,2026-06-30,,students,,', // ended before the window
        'd,newsela,Newsela,d3,unlimited,5,flat,EUR,2026-07-01,2027-06-30,,students,,',
        'e,newsela,Newsela,d3,unlimited,5,flat,USD,2026-07-01,2027-06-30,,students,,',
      ].join('\n'),
    );
    const imported = await importLicenses(ch, 'd3', file);
    expect(imported.rejected).toBe(0);
    const cost = await appCost(ch, 'd3', 'ixl', '2026-09-01', '2026-12-01');
    expect(cost).toEqual({ currency: 'USD', totalCost: 1180, licenses: 2 });
    expect(costPerStudent(cost as Exclude<typeof cost, string | null>, 59, 10)).toEqual({
      currency: 'USD',
      totalCost: 1180,
      perActiveStudent: 20,
      perStudentAtGoal: 118,
    });
    expect(await appCost(ch, 'd3', 'newsela', '2026-09-01', '2026-12-01')).toBe(
      'the licenses of newsela are in several currencies (EUR, USD)',
    );
    expect(await appCost(ch, 'd3', 'kahoot', '2026-09-01', '2026-12-01')).toBeNull();
  });

  it("loads the district's roster from Redis, and refuses a PSEUDONYM_KEY other than the deployment's", async () => {
    const redis = new Redis(env.config.REDIS_URL);
    try {
      const keys = {
        REDIS_URL: env.config.REDIS_URL,
        REDIS_KEY_PREFIX: env.config.REDIS_KEY_PREFIX,
        PSEUDONYM_KEY: KEY,
      };
      await expect(loadMatcher(keys, 'd9')).rejects.toThrow(
        'district d9 has no roster: run `enrich roster import` first',
      );
      await saveRosterToRedis(
        redis,
        env.config.REDIS_KEY_PREFIX,
        'd9',
        rosterOf([student('s1', { identifiers: ['L-1'] })]),
      );
      const matcher = await loadMatcher(keys, 'd9');
      expect(matcher.match({ ids: ['L-1'] })).toEqual({ ok: true, personId: pseudonymize(KEY, 'd9', 's1') });
      await expect(loadMatcher({ ...keys, PSEUDONYM_KEY: 'another-key-0123456789abcdef' }, 'd9')).rejects.toThrow(
        /PSEUDONYM_KEY is not the key recorded at first start/,
      );
    } finally {
      redis.disconnect();
    }
  });
});
