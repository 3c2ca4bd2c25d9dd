import { normalizeSubject } from '../result';
import { RowReader } from '../values';
import type { CsvPreset } from './types';

/**
 * NWEA MAP Growth Comprehensive Data File, `AssessmentResults.csv`. StudentID is the district's
 * (local) id, Student_StateID the state id. Subject is `MeasurementScale` (older files: Reading,
 * Language Usage, …), else `Subject` with `Course` (newer files: Subject "Language Arts" holds Reading,
 * Language Usage and Spanish Reading, told apart by Course only, so each is its own subject and growth
 * never compares one test with another), else `Discipline`. Projected growth is
 * `FallToSpringProjectedGrowth`, else `TypicalFallToSpringGrowth` (NWEA's newer name; the older
 * column is left empty on fall rows). Screening tests (GrowthMeasureYN = FALSE or a TestName
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
    subject: ['MeasurementScale', 'Subject', 'Discipline'],
    course: ['Course'],
    growthMeasure: ['GrowthMeasureYN'],
    testName: ['TestName'],
    testDate: ['TestStartDate'],
    score: ['TestRITScore'],
    standardError: ['TestStandardError'],
    percentile: ['TestPercentile'],
    projectedGrowth: ['FallToSpringProjectedGrowth'],
    typicalGrowth: ['TypicalFallToSpringGrowth'],
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
      const projectedGrowth = r.number('projectedGrowth') ?? r.number('typicalGrowth');
      const growth = r.flag('growthMeasure');
      const course = r.text('course');
      const mapSubject = subjectOf(subject, course);
      if (mapSubject === null)
        r.problems.push({
          field: 'course',
          message: `Subject ${JSON.stringify(subject)} with Course ${JSON.stringify(course)}: cannot tell Reading from Language Usage`,
        });
      if (r.problems.length > 0 || score === null || mapSubject === null) return { ok: false, problems: r.problems };
      const screening = growth === false || /^screening\b/i.test(r.text('testName'));
      const stateId = r.text('stateId');
      return {
        ok: true,
        result: {
          student: { ids: stateId ? [studentId, stateId] : [studentId] },
          assessment: screening ? 'map_screening' : 'map_growth',
          subject: mapSubject,
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

/**
 * The subject of a MAP row: "Language Arts" (newer files' Subject) is Reading, Language Usage or Spanish
 * Reading by its Course (null when the course says none of them); Spanish Reading is its own subject
 * (another test, another scale) however it is named.
 */
function subjectOf(subject: string, course: string): string | null {
  const spanish = /spanish|español/i.test(`${subject} ${course}`);
  if (/^\s*language arts\b/i.test(subject)) {
    if (/language usage/i.test(course)) return 'language_usage';
    if (/reading/i.test(course)) return spanish ? 'reading_spanish' : 'reading';
    return null;
  }
  const normalized = normalizeSubject(subject);
  return normalized === 'reading' && spanish ? 'reading_spanish' : normalized;
}
