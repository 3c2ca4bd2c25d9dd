/**
 * Outcomes end to end: a generated district goes through the real pipeline, its generated MAP Growth and
 * i-Ready files through `outcomes import`, and
 *  - every student's engaged minutes per week between the tests, as the usage query reads them from
 *    ClickHouse, equal the generator's truth (computed from what each event means);
 *  - `outcomes analyze --format json` gives the same usage coefficient as the analysis of the truth, and
 *    its interval covers the documented true effect.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ASSESSMENT_SPECS, generateAssessments, writeAssessmentFiles, type AssessmentTruth } from '@edusage/generator';
import { analyzeStudents, loadStudentWindows, type Analysis } from '@edusage/outcomes';
import { sendSampleEvents } from '../src/pipeline';
import { REPO_ROOT } from '../src/services';
import { DISTRICT, PSEUDONYM_KEY, setupE2E, type E2E } from './support/e2e';
import { pseudonym } from './support/reference';

jest.setTimeout(300_000);
const run = promisify(execFile);

describe('outcomes on the real pipeline', () => {
  let e2e: E2E;
  let truths: AssessmentTruth[];
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
    const dir = path.dirname(e2e.files.licenses);
    await writeAssessmentFiles(truths, dir);
    const students = truths.filter((t) => t.assessment === 'map_growth' && t.subject === 'math').length;
    for (const [file, preset] of [
      ['map_growth.csv', 'map-growth'],
      ['iready_math.csv', 'iready'],
      ['iready_ela.csv', 'iready'],
    ] as const) {
      const { stdout } = await cli([
        'import',
        '--district',
        DISTRICT,
        '--preset',
        preset,
        path.join(dir, 'assessments', file),
      ]);
      // Every row of the generated files names a rostered student by local id.
      const rows = file === 'map_growth.csv' ? 4 * students : 2 * students;
      expect(stdout).toContain(
        `${rows} rows read, ${rows} stored, 0 rejected, 0 students not in the roster, 0 ambiguous`,
      );
    }
  });
  afterAll(async () => {
    await e2e?.teardown();
  });

  const query = (t: AssessmentTruth) => ({
    districtId: DISTRICT,
    app: t.app,
    assessment: t.assessment,
    subject: t.subject,
    from: t.preDate,
    to: t.postDate,
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
      }
    },
  );

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
});
