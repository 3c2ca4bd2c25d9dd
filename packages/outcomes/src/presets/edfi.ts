import { normalizeSubject, type FieldProblem, type RowOutcome } from '../result';
import { parseTestDay } from '../values';
import type { EdFiStudentAssessment } from './edfi-records';
import type { PresetOptions } from './types';

/** Score results tried in this order when --score-method is not given (the scale score a growth analysis needs). */
export const EDFI_SCORE_METHODS = ['Scale score', 'Vertical score', 'RIT scale score', 'Composite Score'];

const descriptorValue = (d: string) => d.slice(d.lastIndexOf('#') + 1).trim();

/** "SA-2011-Mathematics-Eighth grade" → math; null when the identifier names no subject. */
function subjectOfIdentifier(id: string): string | null {
  const m = /(mathematics|math|reading|ela|english language arts|science|language usage)/i.exec(id);
  return m ? normalizeSubject(m[1]!) : null;
}

/**
 * One Ed-Fi StudentAssessment → a result: studentUniqueId is the state/district student id, the score
 * is the result (a string in Ed-Fi) of the chosen reporting method, the assessment is the
 * assessmentIdentifier. A student not tested (no score results, a reasonNotTested) is reported and skipped.
 */
export function parseEdFi(r: EdFiStudentAssessment, options: PresetOptions): RowOutcome {
  const problems: FieldProblem[] = [];
  if (!r.studentUniqueId) problems.push({ field: 'studentUniqueId', message: 'is empty' });
  if (!r.assessmentIdentifier) problems.push({ field: 'assessmentIdentifier', message: 'is empty' });
  const testDay = parseTestDay(r.administrationDate);
  const day = 'day' in testDay ? testDay.day : null;
  if ('problem' in testDay) problems.push({ field: 'administrationDate', message: testDay.problem });
  const subject = options.subject?.trim()
    ? normalizeSubject(options.subject)
    : subjectOfIdentifier(r.assessmentIdentifier);
  if (!subject && r.assessmentIdentifier)
    problems.push({ field: 'assessmentIdentifier', message: 'names no subject: pass --subject' });
  const wanted = options.scoreMethod ? [options.scoreMethod] : EDFI_SCORE_METHODS;
  const byMethod = new Map(r.scoreResults.map((s) => [descriptorValue(s.method).toLowerCase(), s.result]));
  const method = wanted.find((m) => byMethod.has(m.toLowerCase()));
  let score: number | null = null;
  if (r.scoreResults.length === 0) {
    const why = r.reasonNotTested ? ` (not tested: ${descriptorValue(r.reasonNotTested)})` : '';
    problems.push({ field: 'scoreResults', message: `no score result${why}` });
  } else if (method === undefined) {
    const have = r.scoreResults.map((s) => descriptorValue(s.method)).join(', ');
    problems.push({
      field: 'scoreResults',
      message: `none of ${wanted.join(' / ')} (has ${have}): pass --score-method`,
    });
  } else {
    const text = byMethod.get(method.toLowerCase())!.trim();
    score = text === '' ? NaN : Number(text);
    if (!Number.isFinite(score)) {
      problems.push({ field: 'scoreResults.result', message: `${method} is not a number: ${JSON.stringify(text)}` });
      score = null;
    }
  }
  if (problems.length > 0 || score === null || day === null || !subject) return { ok: false, problems };
  return {
    ok: true,
    result: {
      student: { ids: [r.studentUniqueId] },
      assessment: r.assessmentIdentifier,
      subject,
      testDate: day,
      window: r.schoolYear,
      score,
      standardError: null,
      percentile: null,
      projectedGrowth: null,
      grade: descriptorValue(r.grade),
    },
  };
}
