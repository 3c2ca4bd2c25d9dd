/**
 * One assessment result as every preset produces it, before the student is matched to the roster.
 * The student keys are raw ids: they live only in memory during an import and are never stored.
 */
export interface StudentKeys {
  sourcedId?: string;
  /** State or local student ids (any of them may match the roster's `identifier`s). */
  ids: string[];
  email?: string;
}

export interface ParsedResult {
  student: StudentKeys;
  /** Short name of the assessment, e.g. `map_growth`, `iready_diagnostic`, an Ed-Fi assessmentIdentifier. */
  assessment: string;
  /** Normalized subject: math, reading, science, language_usage, or the source's own (lower-cased). */
  subject: string;
  /** YYYY-MM-DD. */
  testDate: string;
  /** The source's term or window name ('' if none). */
  window: string;
  score: number;
  standardError: number | null;
  percentile: number | null;
  /** Expected growth from this test to the end-of-year test (MAP projected growth, i-Ready typical growth). */
  projectedGrowth: number | null;
  /** Grade at testing as written by the source ('' if none). */
  grade: string;
}

/** A field-level problem of one input row. */
export interface FieldProblem {
  field: string;
  message: string;
}

export type RowOutcome = { ok: true; result: ParsedResult } | { ok: false; problems: FieldProblem[] };

/** A reportable row problem: which file, which line, which field. */
export interface RowIssue {
  file: string;
  line: number;
  field?: string;
  message: string;
}

const SUBJECTS: [RegExp, string][] = [
  [/^(math|mathematics|maths|algebra|geometry)\b/i, 'math'],
  [/^(reading|ela|english language arts|language arts|literacy)\b/i, 'reading'],
  [/^language usage\b/i, 'language_usage'],
  [/^science\b/i, 'science'],
];

/** Source subject names → one spelling, so MAP "Mathematics" and i-Ready "math" meet in one analysis. */
export function normalizeSubject(text: string): string {
  const t = text.trim();
  for (const [re, subject] of SUBJECTS) if (re.test(t)) return subject;
  return t.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}
