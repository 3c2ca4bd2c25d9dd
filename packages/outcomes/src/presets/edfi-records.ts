import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { SaxesParser } from 'saxes';

/** The parts of an Ed-Fi StudentAssessment an import reads (API JSON resource or XML interchange element). */
export interface EdFiStudentAssessment {
  studentUniqueId: string;
  administrationDate: string;
  assessmentIdentifier: string;
  /** assessmentReportingMethodDescriptor (or its XML element) → result as written (a string in Ed-Fi). */
  scoreResults: { method: string; result: string }[];
  reasonNotTested: string;
  grade: string;
  schoolYear: string;
}

export type EdFiItem = { line: number; record: EdFiStudentAssessment } | { line: number; error: string };

/**
 * Ed-Fi API JSON: one StudentAssessment resource per line (NDJSON, streamed) or a JSON array of them
 * (the API's page format; read whole, so keep such files to a few hundred MB).
 */
export async function* readEdFiJson(file: string): AsyncGenerator<EdFiItem> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  const buffered: string[] = [];
  let lineNo = 0;
  let isArray: boolean | null = null;
  for await (const raw of lines) {
    lineNo++;
    if (isArray === null) {
      const t = raw.replace(/^\uFEFF/, '').trim();
      if (t === '') continue;
      isArray = t.startsWith('[');
    }
    if (isArray) {
      buffered.push(raw);
      continue;
    }
    if (raw.trim() === '') continue;
    try {
      yield toItem(lineNo, JSON.parse(raw));
    } catch (err) {
      yield { line: lineNo, error: notJson(err) };
    }
  }
  if (!isArray) return;
  let items: unknown;
  try {
    items = JSON.parse(buffered.join('\n').replace(/^\uFEFF/, ''));
  } catch (err) {
    yield { line: 0, error: `not a JSON array: ${notJson(err)}` };
    return;
  }
  if (!Array.isArray(items)) return;
  // Lines of array items are not tracked: the position is the item's 1-based index.
  for (let i = 0; i < items.length; i++) yield toItem(i + 1, items[i]);
}

/**
 * Why a line is not JSON, without V8's quote of the text around the error (it shows a student's id or
 * email when a value lost its quotes): the line number is given, the operator can open it.
 */
function notJson(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  return /end of JSON input/i.test(message)
    ? 'not JSON: it ends before the value is complete'
    : 'not JSON (the text near the error is not repeated here: it may hold a student identifier)';
}

function toItem(line: number, v: unknown): EdFiItem {
  if (typeof v !== 'object' || v === null) return { line, error: 'not a StudentAssessment object' };
  const o = v as Record<string, unknown>;
  const obj = (x: unknown) => (typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : {});
  const str = (x: unknown) => (typeof x === 'string' ? x : typeof x === 'number' ? String(x) : '');
  const scores = Array.isArray(o.scoreResults) ? o.scoreResults : [];
  return {
    line,
    record: {
      studentUniqueId: str(obj(o.studentReference).studentUniqueId),
      administrationDate: str(o.administrationDate),
      assessmentIdentifier: str(obj(o.assessmentReference).assessmentIdentifier),
      scoreResults: scores.map((s) => ({
        method: str(obj(s).assessmentReportingMethodDescriptor),
        result: str(obj(s).result),
      })),
      reasonNotTested: str(o.reasonNotTestedDescriptor),
      grade: str(o.whenAssessedGradeLevelDescriptor),
      schoolYear: str(obj(o.schoolYearTypeReference).schoolYear),
    },
  };
}

/** Element path (inside a StudentAssessment) → the field it fills. */
const XML_FIELDS: Record<string, keyof EdFiStudentAssessment> = {
  AdministrationDate: 'administrationDate',
  'StudentReference/StudentIdentity/StudentUniqueId': 'studentUniqueId',
  'AssessmentReference/AssessmentIdentity/AssessmentIdentifier': 'assessmentIdentifier',
  ReasonNotTested: 'reasonNotTested',
  WhenAssessedGradeLevel: 'grade',
  SchoolYear: 'schoolYear',
};

/** Ed-Fi XML interchange (InterchangeStudentAssessment), streamed element by element. */
export async function* readEdFiXml(file: string): AsyncGenerator<EdFiItem> {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const ready: EdFiItem[] = [];
  let path: string[] = [];
  let current: EdFiStudentAssessment | null = null;
  let startLine = 0;
  let score: { method: string; result: string } | null = null;
  let text = '';
  let failed: string | null = null;
  const local = (name: string) => name.slice(name.indexOf(':') + 1);
  parser.on('opentag', (tag) => {
    const name = local(tag.name);
    text = '';
    if (name === 'StudentAssessment' && current === null) {
      current = {
        studentUniqueId: '',
        administrationDate: '',
        assessmentIdentifier: '',
        scoreResults: [],
        reasonNotTested: '',
        grade: '',
        schoolYear: '',
      };
      startLine = parser.line;
      path = [];
      return;
    }
    if (current === null) return;
    path.push(name);
    if (path.length === 1 && name === 'ScoreResult') score = { method: '', result: '' };
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('closetag', (tag) => {
    const name = local(tag.name);
    if (current === null) return;
    if (name === 'StudentAssessment' && path.length === 0) {
      ready.push({ line: startLine, record: current });
      current = null;
      return;
    }
    const joined = path.join('/');
    const field = XML_FIELDS[joined];
    if (field && field !== 'scoreResults') current[field] = text.trim();
    if (score && joined === 'ScoreResult/Result') score.result = text.trim();
    if (score && joined === 'ScoreResult/AssessmentReportingMethod') score.method = text.trim();
    if (score && joined === 'ScoreResult') {
      current.scoreResults.push(score);
      score = null;
    }
    path.pop();
    text = '';
  });
  parser.on('error', (err) => {
    failed ??= err.message;
  });
  for await (const chunk of createReadStream(file, 'utf8')) {
    parser.write(chunk as string);
    yield* ready.splice(0);
    if (failed) break;
  }
  if (!failed) parser.close();
  yield* ready.splice(0);
  if (failed) yield { line: parser.line, error: `not well-formed XML: ${failed} (the rest of the file is not read)` };
}
