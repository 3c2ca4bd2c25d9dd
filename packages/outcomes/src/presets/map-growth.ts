import { normalizeSubject } from '../result';
import { RowReader } from '../values';
import type { CsvPreset } from './types';

/**
 * NWEA MAP Growth Comprehensive Data File, `AssessmentResults.csv`. StudentID is the district's
 * (local) id, Student_StateID the state id. Subject is `Subject` (newer files) or
 * `MeasurementScale`/`Discipline` (older). Screening tests (GrowthMeasureYN = FALSE or a TestName
 * "Screening: …") are stored as assessment `map_screening`, as in the Ed-Fi crosswalk
 * (MAP_Growth_* vs MAP_Screening_*); growth tests as `map_growth`.
 */
export const RIT_SCALE = { min: 100, max: 350 };

export const mapGrowth: CsvPreset = {
  name: 'map-growth',
  description: 'NWEA MAP Growth CDF AssessmentResults',
  columns: {
    studentId: ['StudentID'],
    stateId: ['Student_StateID', 'StudentStateID'],
    term: ['TermName'],
    subject: ['Subject', 'MeasurementScale', 'Discipline'],
    growthMeasure: ['GrowthMeasureYN'],
    testName: ['TestName'],
    testDate: ['TestStartDate'],
    score: ['TestRITScore'],
    standardError: ['TestStandardError'],
    percentile: ['TestPercentile'],
    projectedGrowth: ['FallToSpringProjectedGrowth'],
    grade: ['Grade', 'StudentGrade'],
  },
  required: ['studentId', 'subject', 'testDate', 'score'],
  prepare: () => ({
    ok: true,
    parse: (values) => {
      const r = new RowReader(values);
      const studentId = r.required('studentId');
      const subject = r.required('subject');
      const testDate = r.date('testDate');
      const score = r.number('score', { required: true, ...RIT_SCALE });
      const standardError = r.number('standardError', { min: 0 });
      const percentile = r.number('percentile', { min: 1, max: 99 });
      const projectedGrowth = r.number('projectedGrowth');
      const growth = r.flag('growthMeasure');
      if (r.problems.length > 0 || score === null) return { ok: false, problems: r.problems };
      const screening = growth === false || /^screening\b/i.test(r.text('testName'));
      const stateId = r.text('stateId');
      return {
        ok: true,
        result: {
          student: { ids: stateId ? [studentId, stateId] : [studentId] },
          assessment: screening ? 'map_screening' : 'map_growth',
          subject: normalizeSubject(subject),
          testDate,
          window: r.text('term'),
          score,
          standardError,
          percentile,
          projectedGrowth,
          grade: r.text('grade'),
        },
      };
    },
  }),
};
