/**
 * Every preset reads its real, anonymized district file (../shared/fixtures), and each row's outcome is
 * pinned here: written by hand from the files' columns (student ids, dates, scores as printed there),
 * not from this code's output.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixturesDir } from '@edusage/testkit';
import {
  readAssessmentRows,
  type ImportSummary,
  type Item,
  type PresetName,
  type PresetOptions,
  type GenericMapping,
} from '../src';

const bundles = path.join(fixturesDir(), 'edanalytics-earthmover_edfi_bundles');
const edfiXml = path.join(fixturesDir(), 'edfi-data-standard', 'Sample XML');
const dataImport = path.join(fixturesDir(), 'edfi-dataimport', 'Samples');

async function read(file: string, preset: PresetName, options: PresetOptions = {}, mapping?: GenericMapping) {
  const s: Pick<ImportSummary, 'file' | 'issues' | 'refused' | 'rejected'> = {
    file: path.basename(file),
    issues: [],
    refused: null,
    rejected: 0,
  };
  const items: Item[] = [];
  for await (const item of readAssessmentRows({ file, preset, options, ...(mapping ? { mapping } : {}) }, s))
    items.push(item);
  return { items, s };
}

/** [line, ids, assessment, subject, date, score, percentile] of each accepted row. */
type Pin = [number, string[], string, string, string, number, number | null];
function accepted(items: Item[]): Pin[] {
  return items.flatMap((i) =>
    i.outcome.ok
      ? [
          [
            i.line,
            i.outcome.result.student.ids,
            i.outcome.result.assessment,
            i.outcome.result.subject,
            i.outcome.result.testDate,
            i.outcome.result.score,
            i.outcome.result.percentile,
          ] as Pin,
        ]
      : [],
  );
}

describe('presets read the real district exports', () => {
  it('NWEA MAP Growth: 6 growth tests and 1 screening test', async () => {
    const { items, s } = await read(path.join(bundles, 'MAP_Growth/data/sample_anonymized_file.csv'), 'map-growth');
    expect(s.refused).toBeNull();
    expect(accepted(items)).toEqual([
      [2, ['605000', '604821'], 'map_growth', 'science', '2021-09-16', 208, 57],
      [3, ['605001', '604822'], 'map_growth', 'math', '2021-09-16', 233, 32],
      [4, ['605002', '604823'], 'map_growth', 'science', '2021-09-16', 208, 57],
      [5, ['605003', '604824'], 'map_growth', 'math', '2021-09-16', 233, 32],
      [6, ['605004', '604825'], 'map_growth', 'science', '2021-09-16', 208, 57],
      [7, ['605005', '604826'], 'map_growth', 'math', '2021-09-16', 233, 32],
      [8, ['605000', '604821'], 'map_screening', 'reading', '2021-09-20', 165, 42],
    ]);
    const first = items[0]!.outcome;
    expect(first.ok && [first.result.window, first.result.standardError]).toEqual(['Fall 2021-2022', 3.4]);
    // FallToSpringProjectedGrowth is empty on these fall rows; the typical growth is NWEA's newer name.
    expect(items.map((i) => (i.outcome.ok ? i.outcome.result.projectedGrowth : 'bad'))).toEqual([
      5,
      6,
      5,
      6,
      5,
      6,
      null,
    ]);
  });

  it('NWEA MAP Growth: Language Arts is Reading, Language Usage or Spanish Reading by its Course', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'map-subjects-'));
    const file = path.join(dir, 'AssessmentResults.csv');
    writeFileSync(
      file,
      [
        'StudentID,Subject,Course,TestStartDate,TestRITScore',
        's1,Language Arts,Reading,09/14/2026,190',
        's1,Language Arts,Language Usage,09/15/2026,201',
        's1,Language Arts,Reading (Spanish),05/11/2027,199',
        's1,Language Arts,,05/12/2027,199',
        's1,Mathematics,Math K-12,05/12/2027,220',
      ].join('\n'),
    );
    const { items } = await read(file, 'map-growth');
    expect(items.map((i) => (i.outcome.ok ? i.outcome.result.subject : i.outcome.problems[0]?.field))).toEqual([
      'reading',
      'language_usage',
      'reading_spanish',
      'Course', // the file's header
      'math',
    ]);
  });

  it('i-Ready ELA (subject from its Lexile columns) and math (Quantile columns)', async () => {
    const ela = await read(path.join(bundles, 'i-Ready/data/sample_anonymized_file_ela.csv'), 'iready');
    expect(accepted(ela.items)).toEqual([
      [2, ['605001'], 'iready_diagnostic', 'reading', '2026-01-13', 424, 10],
      [3, ['605001'], 'iready_diagnostic', 'reading', '2026-05-19', 468, 17],
      [4, ['605002'], 'iready_diagnostic', 'reading', '2025-08-27', 572, 47],
      [5, ['605002'], 'iready_diagnostic', 'reading', '2026-01-13', 593, 55],
      [6, ['605002'], 'iready_diagnostic', 'reading', '2026-04-21', 575, 38],
    ]);
    const first = ela.items[0]!.outcome;
    expect(first.ok && [first.result.projectedGrowth, first.result.grade, first.result.window]).toEqual([
      33,
      '3',
      'Winter (November 16 - March 1)',
    ]);
    const math = await read(path.join(bundles, 'i-Ready/data/sample_anonymized_file_math.csv'), 'iready');
    expect(accepted(math.items)).toEqual([
      [2, ['605001'], 'iready_diagnostic', 'math', '2026-01-14', 404, 14],
      [3, ['605001'], 'iready_diagnostic', 'math', '2026-05-20', 432, 27],
      [4, ['605002'], 'iready_diagnostic', 'math', '2025-08-28', 496, 74],
      [5, ['605002'], 'iready_diagnostic', 'math', '2026-01-14', 488, 53],
      [6, ['605002'], 'iready_diagnostic', 'math', '2026-04-22', 507, 67],
    ]);
  });

  it('Renaissance Star Reading: sourcedId, identifier and state id; the local completion day', async () => {
    const { items, s } = await read(path.join(bundles, 'STAR/data/SR_sample_anonymized_file.csv'), 'star');
    expect(s.refused).toBeNull();
    expect(accepted(items)).toEqual([
      [2, ['605000', '605100'], 'star', 'reading', '2023-08-21', 8, 1],
      [3, ['605001', '605101'], 'star', 'reading', '2023-08-22', 72, 1],
      [4, ['605002', '605102'], 'star', 'reading', '2023-08-23', 348, 2],
      [5, ['605003', '605103'], 'star', 'reading', '2023-08-23', 723, 40],
      [6, ['605004', '605104'], 'star', 'reading', '2023-08-29', 967, 81],
    ]);
    expect(items.map((i) => i.outcome.ok && i.outcome.result.student.sourcedId)).toEqual([
      '605000',
      '605001',
      '605002',
      '605003',
      '605004',
    ]);
  });

  it('Ed-Fi XML interchange (state assessment): vertical scores; the two students not tested are reported', async () => {
    const { items } = await read(path.join(edfiXml, 'StudentAssessment-StateAssessment.xml'), 'edfi');
    expect(items).toHaveLength(34);
    const bad = items.filter((i) => !i.outcome.ok);
    expect(bad.map((i) => i.outcome.ok || i.outcome.problems)).toEqual([
      [{ field: 'scoreResults', message: 'no score result (not tested: Absent)' }],
      [{ field: 'scoreResults', message: 'no score result (not tested: Absent)' }],
    ]);
    const ok = accepted(items).map(([, ids, a, subj, d, score]) => `${ids[0]} ${a} ${subj} ${d} ${score}`);
    // Vertical scores as written in the file, in file order (604861 was absent from both tests).
    expect(ok).toEqual(
      [
        '604898 8 691',
        '604912 8 704',
        '604851 8 798',
        '604843 8 685',
        '604844 8 628',
        '604889 8 822',
        '604919 8 691',
        '604967 5 691',
        '604871 5 738',
        '604856 5 706',
        '604875 5 647',
        '604917 5 578',
        '604837 5 578',
        '604960 5 571',
        '604885 5 621',
        '604958 5 691',
      ]
        .map((t) => {
          const [id, g, score] = t.split(' ');
          const grade = g === '8' ? 'Eighth' : 'Fifth';
          return `${id} SA-2011-Mathematics-${grade} grade math 2021-04-01 ${score}`;
        })
        .concat(
          [
            '604898 8 737',
            '604844 8 850',
            '604851 8 864',
            '604919 8 748',
            '604843 8 850',
            '604889 8 864',
            '604912 8 809',
            '604967 5 699',
            '604837 5 632',
            '604856 5 569',
            '604871 5 775',
            '604917 5 632',
            '604875 5 594',
            '604958 5 718',
            '604960 5 577',
            '604885 5 622',
          ].map((t) => {
            const [id, g, score] = t.split(' ');
            const grade = g === '8' ? 'Eighth' : 'Fifth';
            return `${id} SA-2011-Reading-${grade} grade reading 2021-04-01 ${score}`;
          }),
        ),
    );
  });

  it('Ed-Fi XML sample: a composite score names no subject until --subject gives one', async () => {
    const file = path.join(edfiXml, 'StudentAssessmentSample.xml');
    const without = await read(file, 'edfi');
    expect(without.items.map((i) => i.outcome.ok || i.outcome.problems[0]!.message)).toEqual([
      'names no subject: pass --subject',
      'names no subject: pass --subject',
    ]);
    const withSubject = await read(file, 'edfi', { subject: 'act_composite' });
    // Lines of the <StudentAssessment> open tags (grep -n): 3 and 25.
    expect(accepted(withSubject.items)).toEqual([
      [3, ['605123'], 'ACT-ABW', 'act_composite', '2021-12-01', 18, null],
      [25, ['605123'], 'ACT-ABW', 'act_composite', '2021-12-01', 27, null],
    ]);
  });

  it('--subject is stored normalised by every preset, as MAP and generic subjects are (Math → math)', async () => {
    const subjects = async (file: string, preset: PresetName, subject: string) => [
      ...new Set(accepted((await read(file, preset, { subject })).items).map((p) => p[3])),
    ];
    const iready = path.join(bundles, 'i-Ready/data/sample_anonymized_file_math.csv');
    const starFile = path.join(bundles, 'STAR/data/SR_sample_anonymized_file.csv');
    expect(await subjects(iready, 'iready', 'Math')).toEqual(['math']);
    expect(await subjects(iready, 'iready', ' Mathematics ')).toEqual(['math']);
    expect(await subjects(starFile, 'star', 'ELA')).toEqual(['reading']);
    expect(await subjects(starFile, 'star', 'Reading')).toEqual(['reading']);
    const edfi = path.join(edfiXml, 'StudentAssessmentSample.xml');
    expect(await subjects(edfi, 'edfi', 'ACT Composite')).toEqual(['act_composite']);
    const state = path.join(edfiXml, 'StudentAssessment-StateAssessment.xml');
    expect(await subjects(state, 'edfi', 'Math')).toEqual(['math']);
  });

  it('Ed-Fi API JSON (NDJSON and an array): the result is a string', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'edfi-json-'));
    const resource = (id: string, result: string) => ({
      studentAssessmentIdentifier: `sa-${id}`,
      administrationDate: '2025-09-10T08:00:00',
      assessmentReference: {
        assessmentIdentifier: 'MAP_Growth_Mathematics',
        namespace: 'uri://www.nwea.org/map/Assessment',
      },
      studentReference: { studentUniqueId: id },
      scoreResults: [
        {
          assessmentReportingMethodDescriptor: 'uri://ed-fi.org/AssessmentReportingMethodDescriptor#RIT scale score',
          result,
          resultDatatypeTypeDescriptor: 'uri://ed-fi.org/ResultDatatypeTypeDescriptor#Integer',
        },
      ],
    });
    const nd = path.join(dir, 'a.ndjson');
    writeFileSync(
      nd,
      [
        JSON.stringify(resource('s1', '201')),
        '{broken',
        JSON.stringify(resource('s2', 'n/a')),
        // A student id that lost its quotes: V8's message would quote it.
        '{"studentReference":{"studentUniqueId":S604822},"administrationDate":"2025-09-10"}',
      ].join('\n'),
    );
    const r = await read(nd, 'edfi');
    expect(accepted(r.items)).toEqual([[1, ['s1'], 'MAP_Growth_Mathematics', 'math', '2025-09-10', 201, null]]);
    expect(r.s.issues[0]).toMatchObject({ line: 2 });
    const unquoted = r.s.issues.find((i) => i.line === 4);
    expect(unquoted).toBeDefined();
    expect(JSON.stringify(unquoted)).not.toMatch(/604822/);
    expect(r.items.find((i) => i.line === 3)!.outcome).toEqual({
      ok: false,
      problems: [{ field: 'scoreResults.result', message: 'RIT scale score is not a number: "n/a"' }],
    });
    const arr = path.join(dir, 'b.json');
    writeFileSync(arr, JSON.stringify([resource('s3', '199')], null, 2));
    expect(accepted((await read(arr, 'edfi')).items)).toEqual([
      [1, ['s3'], 'MAP_Growth_Mathematics', 'math', '2025-09-10', 199, null],
    ]);
  });

  it("Ed-Fi: one score method per file, the first record's unless --score-method names one", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'edfi-methods-'));
    const method = (name: string, result: string) => ({
      assessmentReportingMethodDescriptor: `uri://ed-fi.org/AssessmentReportingMethodDescriptor#${name}`,
      result,
    });
    const resource = (id: string, scores: ReturnType<typeof method>[]) => ({
      administrationDate: '2025-09-10',
      assessmentReference: { assessmentIdentifier: 'MAP_Growth_Mathematics' },
      studentReference: { studentUniqueId: id },
      scoreResults: scores,
    });
    const file = path.join(dir, 'mixed.ndjson');
    writeFileSync(
      file,
      [
        resource('s1', [method('Scale score', '215')]),
        resource('s2', [method('Composite Score', '3')]), // only another method: its 3 is no scale score
        resource('s3', [method('Composite Score', '4'), method('Scale score', '220')]),
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const byFirst = await read(file, 'edfi');
    expect(accepted(byFirst.items)).toEqual([
      [1, ['s1'], 'MAP_Growth_Mathematics', 'math', '2025-09-10', 215, null],
      [3, ['s3'], 'MAP_Growth_Mathematics', 'math', '2025-09-10', 220, null],
    ]);
    expect(byFirst.items[1]!.outcome).toEqual({
      ok: false,
      problems: [
        {
          field: 'scoreResults',
          message:
            "no Scale score result (has Composite Score); this file is read as Scale score, the method of the file's " +
            'first scored record (line 1); pass --score-method to choose another',
        },
      ],
    });
    const byOption = await read(file, 'edfi', { scoreMethod: 'Composite Score' });
    expect(accepted(byOption.items).map((p) => [p[0], p[5]])).toEqual([
      [2, 3],
      [3, 4],
    ]);
    expect(byOption.items[0]!.outcome).toEqual({
      ok: false,
      problems: [
        {
          field: 'scoreResults',
          message:
            'no Composite Score result (has Scale score); this file is read as Composite Score, the --score-method given',
        },
      ],
    });
  });

  const accessMapping = (delimiter?: string): GenericMapping => ({
    columns: { stateId: 'sasid', score: 'Overallss_adj' },
    constants: { assessment: 'access', subject: 'english_language_proficiency', testDate: '2018-05-01' },
    scale: { min: 100, max: 600 },
    ...(delimiter ? { delimiter } : {}),
  });

  it.each([
    ['DI-QA-STUDENT-ASSESSMENTS-2018-GrandBend.csv', undefined],
    ['DI-QA-STUDENT-ASSESSMENTS-2018-GrandBend - With Excess Whitespace.csv', undefined],
    ['DI-QA-STUDENT-ASSESSMENTS-2018-GrandBend - Tab Delimited.txt', '\t'],
  ])(
    'generic mapping reads the Ed-Fi Data Import sample %s; scores above the 100-600 scale are rejected',
    async (name, delim) => {
      const { items } = await read(path.join(dataImport, name), 'generic', {}, accessMapping(delim));
      expect(accepted(items).map(([line, ids, , , , score]) => [line, ids[0], score])).toEqual([
        [2, '604825', 283],
        [3, '604826', 174],
        [4, '604835', 213],
        [5, '604864', 263],
        [6, '604870', 258],
        [7, '604888', 268],
        [8, '604890', 266],
      ]);
      expect(items.filter((i) => !i.outcome.ok).map((i) => [i.line, !i.outcome.ok && i.outcome.problems])).toEqual([
        [9, [{ field: 'Overallss_adj', message: '933 is outside the scale [100, 600]' }]],
        [10, [{ field: 'Overallss_adj', message: '932 is outside the scale [100, 600]' }]],
        [11, [{ field: 'Overallss_adj', message: '925 is outside the scale [100, 600]' }]],
      ]);
    },
  );

  it('generic mapping reads the STAAR Summative sample (Texas; a column per subject, the year as MMYY)', async () => {
    // STAAR has no preset: one row per student with a scale score column per subject and the
    // administration as "0523" (May 2023), so the test day is a constant. Student ids: the district's
    // local id and the anonymized Texas unique id; names and the PEIMS id are never read.
    const mapping: GenericMapping = {
      columns: {
        studentId: 'local_student_id',
        stateId: 'tx_unique_student_id',
        score: 'mathematics_scale_score',
        grade: 'grade_level_tested',
      },
      constants: { assessment: 'staar', subject: 'mathematics', testDate: '2023-05-01' },
    };
    const file = path.join(bundles, 'STAAR_Summative/data/sample_anonymized_file.csv');
    const { items, s } = await read(file, 'generic', {}, mapping);
    expect(s.refused).toBeNull();
    expect(s.issues).toEqual([]);
    // From the file: local_student_id, tx_unique_student_id and mathematics_scale_score of lines 2-11.
    const pin = (line: number, local: string, tx: string, score: number): Pin => [
      line,
      [local, tx],
      'staar',
      'math',
      '2023-05-01',
      score,
      null,
    ];
    expect(accepted(items)).toEqual([
      pin(2, '111111111', '320', 1423),
      pin(3, '222222222', '321', 1360),
      pin(4, '333333333', '322', 1309),
      pin(5, '444444444', '323', 1272),
      pin(6, '555555555', '324', 1327),
      pin(7, '111111111', '330', 1423),
      pin(8, '222222222', '331', 1360),
      pin(9, '333333333', '332', 1309),
      pin(10, '444444444', '335', 1272),
      pin(11, '555555555', '336', 1327),
    ]);
    expect(items.every((i) => !i.outcome.ok || i.outcome.result.grade === '03')).toBe(true);
  });
});
