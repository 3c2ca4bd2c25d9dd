import { RowReader } from '../values';
import { subjectFrom, type CsvPreset } from './types';

/**
 * Curriculum Associates i-Ready Diagnostic results export ("Diagnostic Results", one file per
 * subject). The file does not name its subject: an ELA export has Lexile columns, a math export
 * Quantile columns; `--subject` overrides. "Annual Typical Growth Measure" is kept as the projected
 * growth. The Baseline / Most Recent flags are not needed: the analysis takes a student's first and
 * last test in the window (docs/ARCHITECTURE.md "Outcomes").
 */
export const IREADY_SCALE = { min: 100, max: 800 };

export const iReady: CsvPreset = {
  name: 'iready',
  description: 'Curriculum Associates i-Ready Diagnostic results',
  columns: {
    studentId: ['Student ID'],
    stateId: ['Student State ID'],
    grade: ['Student Grade'],
    testDate: ['Completion Date'],
    window: ['Norming Window'],
    baseline: ['Baseline Diagnostic (Y/N)'],
    mostRecent: ['Most Recent Diagnostic YTD (Y/N)', 'Most Recent Diagnostic (Y/N)'],
    score: ['Overall Scale Score'],
    percentile: ['Percentile'],
    typicalGrowth: ['Annual Typical Growth Measure'],
    lexile: ['Lexile Measure'],
    quantile: ['Quantile Measure'],
  },
  required: ['studentId', 'testDate', 'score'],
  prepare: (present, options) => {
    const inferred = present.has('quantile') ? 'math' : present.has('lexile') ? 'reading' : null;
    const subject = subjectFrom(options, inferred, 'neither Lexile nor Quantile columns');
    if (!subject.ok) return subject;
    return {
      ok: true,
      parse: (values) => {
        const r = new RowReader(values);
        const studentId = r.required('studentId');
        const testDate = r.date('testDate');
        const score = r.number('score', { required: true, ...IREADY_SCALE });
        const percentile = r.number('percentile', { min: 1, max: 99 });
        const projectedGrowth = r.number('typicalGrowth');
        r.flag('baseline');
        r.flag('mostRecent');
        if (r.problems.length > 0 || score === null) return { ok: false, problems: r.problems };
        const stateId = r.text('stateId');
        return {
          ok: true,
          result: {
            student: { ids: stateId && stateId !== studentId ? [studentId, stateId] : [studentId] },
            assessment: 'iready_diagnostic',
            subject: subject.subject,
            testDate,
            window: r.text('window'),
            score,
            standardError: null,
            percentile,
            projectedGrowth,
            grade: r.text('grade'),
          },
        };
      },
    };
  },
};
