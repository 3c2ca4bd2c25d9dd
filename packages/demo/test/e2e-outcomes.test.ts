/**
 * Outcomes end to end: a generated district goes through the real pipeline, its generated MAP Growth,
 * i-Ready, Star and Ed-Fi files through `outcomes import`, and
 *  - every student's engaged minutes per week between the tests, as the usage query reads them from
 *    ClickHouse, equal the generator's truth (computed from what each event means), and so do the parts
 *    with a known place (campus on/off) and on campus (from each generated event's campus);
 *  - `outcomes analyze --format json` gives the same usage coefficient as the analysis of the truth, and
 *    its interval covers the documented true effect.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ASSESSMENT_SPECS,
  engagedSecondsByStudentApp,
  generateAssessments,
  writeAssessmentFiles,
  type AssessmentTruth,
} from '@edusage/generator';
import { analyzeStudents, loadStudentWindows, type Analysis, type ImportEntry } from '@edusage/outcomes';
import { sendSampleEvents } from '../src/pipeline';
import { REPO_ROOT } from '../src/services';
import { DISTRICT, PSEUDONYM_KEY, setupE2E, type E2E } from './support/e2e';
import { pseudonym } from './support/reference';

jest.setTimeout(300_000);
const run = promisify(execFile);

describe('outcomes on the real pipeline', () => {
  let e2e: E2E;
  let truths: AssessmentTruth[];
  /** The generator's engaged seconds per `sourcedId|app` of the events with a known place, and on campus. */
  let knownPlace: Map<string, number>;
  let onCampus: Map<string, number>;
  const cli = async (args: string[]) => {
    const file = path.join(REPO_ROOT, 'packages', 'outcomes', 'dist', 'cli.js');
    return run(process.execPath, [file, ...args], { env: { ...process.env, ...e2e.serviceEnv } });
  };

  beforeAll(async () => {
    e2e = await setupE2E('e2e_outcomes');
    await sendSampleEvents(e2e.pipeline, DISTRICT, e2e.files, e2e.keys);
    await e2e.drain();
    await e2e.pipeline.stopAll();
    truths = generateAssessments(e2e.sample);
    knownPlace = engagedSecondsByStudentApp(e2e.sample.events(), (ev) => ev.campus !== 'unknown');
    onCampus = engagedSecondsByStudentApp(e2e.sample.events(), (ev) => ev.campus === 'on');
    const dir = path.dirname(e2e.files.licenses);
    const written = await writeAssessmentFiles(truths, dir);
    for (const [file, preset] of [
      ['map_growth.csv', 'map-growth'],
      ['iready_math.csv', 'iready'],
      ['iready_ela.csv', 'iready'],
      ['star_math.csv', 'star'],
      ['star_reading.csv', 'star'],
      ['edfi_student_assessments.json', 'edfi'],
    ] as const) {
      const { stdout } = await cli([
        'import',
        '--district',
        DISTRICT,
        '--preset',
        preset,
        path.join(dir, 'assessments', file),
      ]);
      // Every row of the generated files names a rostered student (by local id, Star also by sourcedId).
      const rows = written[`assessments/${file}`]!;
      expect(rows).toBeGreaterThan(0);
      expect(stdout).toContain(
        `${rows} rows read, ${rows} stored, 0 rejected, 0 students not in the roster, 0 ambiguous`,
      );
    }
  });
  afterAll(async () => {
    await e2e?.teardown();
  });

  // The sample spans about a week, its tests the day before and after: closer than the default least
  // pair distance (14 days), so the analysis is asked for pairs that far apart.
  const query = (t: AssessmentTruth) => ({
    districtId: DISTRICT,
    app: t.app,
    assessment: t.assessment,
    subject: t.subject,
    from: t.preDate,
    to: t.postDate,
    minPairDays: Math.round((Date.parse(t.postDate) - Date.parse(t.preDate)) / 86_400_000),
  });

  it.each(ASSESSMENT_SPECS.map((s) => [s.assessment, s.subject] as const))(
    '%s %s: every student’s minutes per week and scores equal the truth',
    async (assessment, subject) => {
      const expected = truths.filter((t) => t.assessment === assessment && t.subject === subject);
      const data = await loadStudentWindows(e2e.ch, query(expected[0]!));
      expect(data.withoutPair).toBe(0);
      const got = new Map(data.students.map((s) => [s.personId, s]));
      expect(got.size).toBe(expected.length);
      for (const t of expected) {
        const s = got.get(pseudonym(PSEUDONYM_KEY, DISTRICT, t.sourcedId))!;
        expect([t.sourcedId, s.pre, s.post]).toEqual([t.sourcedId, t.pre, t.post]);
        expect(s.minutesPerWeek).toBeCloseTo(t.minutesPerWeek, 9);
        const key = `${t.sourcedId}|${t.app}`;
        expect([t.sourcedId, s.knownCampusSeconds, s.onCampusSeconds]).toEqual([
          t.sourcedId,
          knownPlace.get(key) ?? 0,
          onCampus.get(key) ?? 0,
        ]);
      }
    },
  );

  it('the sample exercises the campus split of ixl: use on and off campus, and without a known place', () => {
    const ixl = truths.filter((t) => t.assessment === 'map_growth' && t.subject === 'math');
    const part = (m: Map<string, number>, t: AssessmentTruth) => m.get(`${t.sourcedId}|${t.app}`) ?? 0;
    expect(ixl.some((t) => part(onCampus, t) > 0)).toBe(true);
    expect(ixl.some((t) => part(onCampus, t) < part(knownPlace, t))).toBe(true);
    const engaged = engagedSecondsByStudentApp(e2e.sample.events());
    expect(ixl.some((t) => part(knownPlace, t) < part(engaged, t))).toBe(true);
  });

  it('analyze recovers the documented effect of ixl on MAP math growth', async () => {
    const t = truths.find((x) => x.assessment === 'map_growth' && x.subject === 'math')!;
    const q = query(t);
    const { stdout } = await cli([
      'analyze',
      '--district',
      DISTRICT,
      '--app',
      q.app,
      '--assessment',
      q.assessment,
      '--subject',
      q.subject,
      '--from',
      q.from,
      '--to',
      q.to,
      '--min-pair-days',
      String(q.minPairDays),
      '--format',
      'json',
    ]);
    const a = JSON.parse(stdout) as Analysis;
    const fit = a.groups.find((g) => g.dimension === 'district')!.regressions[0]!;
    if (!fit.ok) throw new Error(fit.reason);
    // The same estimate as the analysis of the generator's truth (no pipeline)…
    const students = truths
      .filter((x) => x.assessment === 'map_growth' && x.subject === 'math')
      .map((x) => ({
        personId: x.sourcedId,
        grade: '',
        schoolId: '',
        classId: '',
        preDate: x.preDate,
        postDate: x.postDate,
        pre: x.pre,
        post: x.post,
        projectedGrowth: null,
        engagedSeconds: 0,
        knownCampusSeconds: 0,
        onCampusSeconds: 0,
        daysUsed: 0,
        minutesPerWeek: x.minutesPerWeek,
      }));
    const reference = analyzeStudents(q, students).groups[0]!.regressions[0]!;
    if (!reference.ok) throw new Error(reference.reason);
    expect(fit.value.estimate).toBeCloseTo(reference.value.estimate, 9);
    expect(fit.value.hc1.se).toBeCloseTo(reference.value.hc1.se, 9);
    // …and its 95 % interval covers the true beta.
    expect(fit.value.hc1.ciLow).toBeLessThanOrEqual(t.beta);
    expect(fit.value.hc1.ciHigh).toBeGreaterThanOrEqual(t.beta);
  });

  it('analyze --k 1: the campus groups hold the students the README rule puts there', async () => {
    // The rule written from the README, over the generator's events: on-campus share of the time with a
    // known place ≥ 2/3 mostly on, ≤ 1/3 mostly off, else mixed; users without a known place
    // 'unknown'; non-users in none. k = 1: the sample's groups are all under 10 students.
    const expectedGroup = (x: AssessmentTruth): string | null => {
      const key = `${x.sourcedId}|${x.app}`;
      const known = knownPlace.get(key) ?? 0;
      const on = onCampus.get(key) ?? 0;
      if (x.minutesPerWeek === 0) return null;
      if (known === 0) return 'unknown';
      return on / known >= 2 / 3 ? 'mostly_on' : on / known <= 1 / 3 ? 'mostly_off' : 'mixed';
    };
    const mapMath = truths.filter((x) => x.assessment === 'map_growth' && x.subject === 'math');
    const q = query(mapMath[0]!);
    const { stdout } = await cli([
      'analyze',
      '--district',
      DISTRICT,
      '--app',
      q.app,
      '--assessment',
      q.assessment,
      '--subject',
      q.subject,
      '--from',
      q.from,
      '--to',
      q.to,
      '--min-pair-days',
      String(q.minPairDays),
      '--k',
      '1',
      '--format',
      'json',
    ]);
    const a = JSON.parse(stdout) as Analysis;
    const expected = new Map<string, number>();
    for (const x of mapMath) {
      const g = expectedGroup(x);
      if (g) expected.set(g, (expected.get(g) ?? 0) + 1);
    }
    expect(expected.size).toBeGreaterThanOrEqual(3); // the sample has several campus groups
    const got = a.groups.filter((g) => g.dimension === 'campus').map((g) => [g.id, g.n]);
    expect(got).toEqual([...expected].sort(([x], [y]) => (x < y ? -1 : 1)));
  });

  it('imports and withdraw (CLI): one student’s test taken out, the file imported again, every test taken out', async () => {
    // Star reading, which no other test here reads after this one.
    const star = truths.filter((x) => x.assessment === 'star' && x.subject === 'reading');
    const q = query(star[0]!);
    const student = star[0]!.sourcedId;
    const pairs = async () => {
      const data = await loadStudentWindows(e2e.ch, q);
      return { students: data.students.map((s) => s.personId), withoutPair: data.withoutPair };
    };
    const stored = async () =>
      (JSON.parse((await cli(['imports', '--district', DISTRICT, '--format', 'json'])).stdout) as ImportEntry[])
        .filter((e) => e.assessment === 'star' && e.subject === 'reading')
        .reduce((n, e) => n + e.results, 0);
    expect(await stored()).toBe(2 * star.length);
    expect((await pairs()).students).toContain(pseudonym(PSEUDONYM_KEY, DISTRICT, student));

    // The student's post test, by the roster sourcedId: shown first, removed with --confirm.
    const starTests = ['withdraw', '--district', DISTRICT, '--assessment', 'star', '--subject', 'Reading'];
    const post = [...starTests, '--from', q.to, '--to', q.to, '--student', student];
    const preview = await cli(post);
    expect(preview.stdout).toContain(`would remove 1 result(s) of 1 student(s), test days ${q.to} to ${q.to}`);
    // The same student by the state or local id the roster has (as the import matches them).
    const localId = e2e.sample.roster.users.find((u) => u.sourcedId === student)!.identifier;
    expect(localId).not.toBe(student);
    const byLocalId = await cli([...starTests, '--from', q.to, '--to', q.to, '--student', localId]);
    expect(byLocalId.stdout).toContain(`would remove 1 result(s) of 1 student(s), test days ${q.to} to ${q.to}`);
    expect((await pairs()).withoutPair).toBe(0);
    expect((await cli([...post, '--confirm'])).stdout).toContain('removed 1 result(s) of 1 student(s)');
    expect(await pairs()).toEqual({
      students: expect.not.arrayContaining([pseudonym(PSEUDONYM_KEY, DISTRICT, student)]),
      withoutPair: 1,
    });
    expect(await stored()).toBe(2 * star.length - 1);

    // The file imported again brings it back.
    const dir = path.join(path.dirname(e2e.files.licenses), 'assessments');
    await cli(['import', '--district', DISTRICT, '--preset', 'star', path.join(dir, 'star_reading.csv')]);
    expect((await pairs()).withoutPair).toBe(0);
    expect(await stored()).toBe(2 * star.length);

    // Bad or missing options are named, and nothing is removed.
    await expect(cli([...starTests, '--to', q.to, '--confirm'])).rejects.toMatchObject({
      stderr: expect.stringContaining("required option '--from <YYYY-MM-DD>' not specified"),
    });
    for (const day of ['2026-02-30', '2026-13-01'])
      await expect(cli([...starTests, '--from', day, '--to', q.to, '--confirm'])).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining(`--from: expected a date YYYY-MM-DD, got "${day}"`),
      });
    // A student named by an id that is not the roster sourcedId matches nothing, and says so (exit 2).
    await expect(
      cli([...starTests, '--from', q.from, '--to', q.to, '--student', 'no-such-student']),
    ).rejects.toMatchObject({
      code: 2,
      stdout: expect.stringContaining('would remove nothing'),
      stderr: expect.stringContaining('1 of the 1 students named have no star result'),
    });
    expect(await stored()).toBe(2 * star.length);

    // Every test of the window; Star math, of the same students and days, stays.
    const starMath = async () => (await loadStudentWindows(e2e.ch, { ...q, subject: 'math' })).students.length;
    const mathBefore = await starMath();
    expect(mathBefore).toBeGreaterThan(0);
    const all = await cli([...starTests, '--from', q.from, '--to', q.to, '--confirm']);
    expect(all.stdout).toContain(`removed ${2 * star.length} result(s) of ${star.length} student(s)`);
    expect(await pairs()).toEqual({ students: [], withoutPair: 0 });
    expect(await stored()).toBe(0);
    expect(await starMath()).toBe(mathBefore);
  });
});
