import { RowReader } from '../values';
import { subjectFrom, type CsvPreset } from './types';

/**
 * Renaissance Star (Star Reading / Star Math) assessment export. Students carry a sourcedId, a
 * district identifier, a state and a local id and an email, all tried against the roster. Star exports
 * one product per file: a Star Reading file has Lexile / reading-level columns, Star Math a Quantile
 * column; `--subject` overrides. The local completion time gives the test day (else AssessmentDate /
 * CompletedDate). The grade is the grade at testing (`Grade`, not `CurrentGrade`).
 */
export const STAR_SCALE = { min: 0, max: 1400 };

export const star: CsvPreset = {
  name: 'star',
  description: 'Renaissance Star Reading / Math',
  columns: {
    sourcedId: ['StudentSourcedID'],
    identifier: ['StudentIdentifier'],
    stateId: ['StudentStateID'],
    localId: ['StudentLocalID'],
    email: ['StudentEmail'],
    testDateLocal: ['CompletedDateLocal'],
    testDate: ['AssessmentDate', 'CompletedDate'],
    window: ['ScreeningPeriodWindowName', 'WindowName'],
    status: ['AssessmentStatus'],
    grade: ['Grade'],
    score: ['ScaledScore'],
    standardError: ['StandardErrorOfMeasurement'],
    percentile: ['PercentileRank'],
    lexile: ['Lexile'],
    quantile: ['Quantile', 'QuantileMeasure'],
  },
  required: ['score'],
  prepare: (present, options) => {
    if (!['sourcedId', 'identifier', 'stateId', 'localId', 'email'].some((f) => present.has(f)))
      return {
        ok: false,
        reason: 'no student column (StudentSourcedID, StudentIdentifier, StudentStateID, StudentLocalID, StudentEmail)',
      };
    if (!present.has('testDateLocal') && !present.has('testDate'))
      return { ok: false, reason: 'no test date column (CompletedDateLocal, AssessmentDate, CompletedDate)' };
    const inferred = present.has('quantile') ? 'math' : present.has('lexile') ? 'reading' : null;
    const subject = subjectFrom(options, inferred, 'neither Lexile nor Quantile columns');
    if (!subject.ok) return subject;
    return {
      ok: true,
      parse: (values) => {
        const r = new RowReader(values);
        // The local completion time's date is the school day; the UTC one can be the next day.
        const testDate = r.date(r.text('testDateLocal') !== '' ? 'testDateLocal' : 'testDate');
        const score = r.number('score', { required: true, ...STAR_SCALE });
        const standardError = r.number('standardError', { min: 0 });
        const percentile = r.number('percentile', { min: 1, max: 99 });
        const ids = [...new Set(['identifier', 'stateId', 'localId'].map((f) => r.text(f)).filter((id) => id !== ''))];
        const sourcedId = r.text('sourcedId');
        const email = r.text('email');
        if (!sourcedId && ids.length === 0 && !email)
          r.problems.push({ field: 'StudentSourcedID', message: 'no student id in the row' });
        if (r.problems.length > 0 || score === null) return { ok: false, problems: r.problems };
        return {
          ok: true,
          result: {
            student: { ids, ...(sourcedId ? { sourcedId } : {}), ...(email ? { email } : {}) },
            assessment: 'star',
            subject: subject.subject,
            testDate,
            window: r.text('window'),
            score,
            standardError,
            percentile,
            projectedGrowth: null,
            grade: r.text('grade'),
          },
        };
      },
    };
  },
};
