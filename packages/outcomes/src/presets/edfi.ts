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

/** The score method a file is read by, and where it came from (for the reason a record is refused). */
interface FileMethod {
  method: string;
  from: string;
}

/**
 * The parser of one Ed-Fi file. Every record is read by one score method, so growth never subtracts
 * two scales (a Scale score 215 and a Composite Score 3 stored as one assessment give −212): the
 * --score-method given, else the first of EDFI_SCORE_METHODS that the file's first record with any of
 * them has. A record without that method is refused, naming it. `line` is the record's, for that reason.
 */
export function edfiParser(options: PresetOptions): (r: EdFiStudentAssessment, line: number) => RowOutcome {
  let file: FileMethod | null = options.scoreMethod
    ? { method: options.scoreMethod, from: 'the --score-method given' }
    : null;
  return (r, line) => {
    if (file === null) {
      const has = methodsOf(r);
      const method = EDFI_SCORE_METHODS.find((m) => has.has(m.toLowerCase()));
      if (method)
        file = {
          method,
          from: `the method of the file's first scored record (line ${line}); pass --score-method to choose another`,
        };
    }
    return parseEdFi(r, options, file);
  };
}

const methodsOf = (r: EdFiStudentAssessment) =>
  new Set(r.scoreResults.map((s) => descriptorValue(s.method).toLowerCase()));

/**
 * One Ed-Fi StudentAssessment → a result: studentUniqueId is the state/district student id, the score
 * is the result (a string in Ed-Fi) of the file's reporting method (`edfiParser`; null = none of
 * EDFI_SCORE_METHODS seen yet), the assessment is the assessmentIdentifier. A student not tested (no
 * score results, a reasonNotTested) is reported and skipped.
 */
function parseEdFi(r: EdFiStudentAssessment, options: PresetOptions, file: FileMethod | null): RowOutcome {
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
  const byMethod = new Map(r.scoreResults.map((s) => [descriptorValue(s.method).toLowerCase(), s.result]));
  const have = r.scoreResults.map((s) => descriptorValue(s.method)).join(', ');
  let score: number | null = null;
  if (r.scoreResults.length === 0) {
    const why = r.reasonNotTested ? ` (not tested: ${descriptorValue(r.reasonNotTested)})` : '';
    problems.push({ field: 'scoreResults', message: `no score result${why}` });
  } else if (file === null) {
    problems.push({
      field: 'scoreResults',
      message: `none of ${EDFI_SCORE_METHODS.join(' / ')} (has ${have}): pass --score-method`,
    });
  } else if (!byMethod.has(file.method.toLowerCase())) {
    problems.push({
      field: 'scoreResults',
      message: `no ${file.method} result (has ${have}); this file is read as ${file.method}, ${file.from}`,
    });
  } else {
    const text = byMethod.get(file.method.toLowerCase())!.trim();
    score = text === '' ? NaN : Number(text);
    if (!Number.isFinite(score)) {
      problems.push({
        field: 'scoreResults.result',
        message: `${file.method} is not a number: ${JSON.stringify(text)}`,
      });
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
