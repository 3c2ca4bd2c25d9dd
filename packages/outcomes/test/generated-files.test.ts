/**
 * The generator's assessment files, every layout, through their presets into the real ClickHouse (the
 * suite's own database), with the roster the generator wrote read by enrich's roster reader: every row
 * is matched and stored, and the stored results are the generator's truth (student, day, score).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse, queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { loadRosterDir, pseudonymize } from '@edusage/enrich';
import {
  ASSESSMENT_SPECS,
  generateAssessments,
  generateDistrict,
  writeAssessmentFiles,
  writeDistrict,
  type AssessmentTruth,
} from '@edusage/generator';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { importAssessments, RosterMatcher, type PresetName } from '../src';

jest.setTimeout(180_000);

const KEY = 'outcomes-generated-files-key-0123456789';
const D = 'd1';

/** Which file holds which assessment × subject, and the preset that reads it (from the generator's README). */
const FILES: [file: string, preset: PresetName, contents: [assessment: string, subject: string][]][] = [
  [
    'map_growth.csv',
    'map-growth',
    [
      ['map_growth', 'math'],
      ['map_growth', 'reading'],
    ],
  ],
  ['iready_math.csv', 'iready', [['iready_diagnostic', 'math']]],
  ['iready_ela.csv', 'iready', [['iready_diagnostic', 'reading']]],
  ['star_math.csv', 'star', [['star', 'math']]],
  ['star_reading.csv', 'star', [['star', 'reading']]],
  [
    'edfi_student_assessments.json',
    'edfi',
    [
      ['Interim-Mathematics', 'math'],
      ['Interim-Reading', 'reading'],
    ],
  ],
];

type StoredRow = [personId: string, assessment: string, subject: string, day: string, score: number];

describe('generated assessment files through their presets (ClickHouse 18.16)', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  let dir: string;
  let truths: AssessmentTruth[];
  let matcher: RosterMatcher;
  let written: Record<string, number>;

  beforeAll(async () => {
    env = await createTestEnv('outcomes_generated', { kafka: false });
    ch = createClickHouse(env.config);
    dir = mkdtempSync(path.join(os.tmpdir(), 'outcomes-generated-'));
    const sample = generateDistrict({
      seed: 11,
      districtId: D,
      schools: 2,
      classesPerSchool: 6,
      studentsPerClass: 20,
      classesPerStudent: 3,
      days: 3,
      startDate: '2026-11-09',
    });
    await writeDistrict(sample, dir, { truth: false });
    const roster = await loadRosterDir(dir);
    matcher = new RosterMatcher(D, roster.data, KEY);
    truths = generateAssessments(sample);
    written = await writeAssessmentFiles(truths, dir);
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every assessment × subject of the generator is in exactly one file', () => {
    const listed = FILES.flatMap(([, , contents]) => contents.map(([a, s]) => `${a} ${s}`)).sort();
    expect(listed).toEqual(ASSESSMENT_SPECS.map((s) => `${s.assessment} ${s.subject}`).sort());
    expect(Object.keys(written).sort()).toEqual(FILES.map(([file]) => `assessments/${file}`).sort());
  });

  it.each(FILES)('%s (preset %s): every row matched and stored as the truth', async (file, preset, contents) => {
    const expected: StoredRow[] = truths
      .filter((t) => contents.some(([a, s]) => t.assessment === a && t.subject === s))
      .flatMap((t) => {
        const person = pseudonymize(KEY, D, t.sourcedId);
        return [
          [person, t.assessment, t.subject, t.preDate, t.pre],
          [person, t.assessment, t.subject, t.postDate, t.post],
        ] as StoredRow[];
      });
    // A file holds a pre and a post test of every enabled student for each of its assessments.
    expect(expected.length).toBeGreaterThan(100);
    const summary = await importAssessments({
      districtId: D,
      file: path.join(dir, 'assessments', file),
      preset,
      matcher,
      ch,
    });
    expect(summary).toMatchObject({
      rows: expected.length,
      stored: expected.length,
      rejected: 0,
      unmatched: 0,
      ambiguous: 0,
      refused: null,
      issues: [],
    });
    const which = contents.map(([a, s]) => `(assessment = ${sqlString(a)} AND subject = ${sqlString(s)})`).join(' OR ');
    const stored = await queryRows<{
      person_id: string;
      assessment: string;
      subject: string;
      day: string;
      score: number;
    }>(
      ch,
      `SELECT person_id, assessment, subject, toString(test_date) AS day, score
       FROM assessment_results FINAL WHERE district_id = ${sqlString(D)} AND (${which})`,
    );
    const order = (rows: StoredRow[]) => [...rows].sort((x, y) => (x.join('|') < y.join('|') ? -1 : 1));
    expect(order(stored.map((r) => [r.person_id, r.assessment, r.subject, r.day, r.score]))).toEqual(order(expected));
  });
});
