import { normalizeSubject } from '../result';
import { RowReader } from '../values';
import type { CsvPreset } from './types';

/** Fields a generic mapping can fill: from a column (`columns`) or with one value for every row (`constants`). */
export const GENERIC_FIELDS = [
  'sourcedId',
  'studentId',
  'stateId',
  'email',
  'assessment',
  'subject',
  'testDate',
  'window',
  'score',
  'standardError',
  'percentile',
  'projectedGrowth',
  'grade',
] as const;
export type GenericField = (typeof GENERIC_FIELDS)[number];

/** Fields that may be constants (the same for a whole file, e.g. a test day when the file has only a year). */
const CONSTANT_FIELDS: readonly GenericField[] = ['assessment', 'subject', 'testDate', 'window', 'grade'];

export interface GenericMapping {
  columns: Partial<Record<GenericField, string>>;
  constants: Partial<Record<GenericField, string>>;
  /** The score's scale; scores outside are rejected. */
  scale?: { min: number; max: number };
  delimiter?: string;
}

/** "field=Header,field2=Header 2" → { field: 'Header', … }, naming an unknown field. */
export function parseAssignments(text: string, what: string): Partial<Record<GenericField, string>> {
  const out: Partial<Record<GenericField, string>> = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    const field = part.slice(0, eq).trim() as GenericField;
    if (eq <= 0 || !GENERIC_FIELDS.includes(field))
      throw new Error(`${what}: "${part}" is not <field>=<value>; fields: ${GENERIC_FIELDS.join(', ')}`);
    out[field] = part.slice(eq + 1).trim();
  }
  return out;
}

/** A CSV of any layout, read through a column mapping (e.g. the Ed-Fi Data Import sample files). */
export function genericPreset(mapping: GenericMapping): CsvPreset {
  for (const f of Object.keys(mapping.constants) as GenericField[])
    if (!CONSTANT_FIELDS.includes(f))
      throw new Error(`--constant ${f}: only ${CONSTANT_FIELDS.join(', ')} may be constants`);
  const columns: Record<string, string[]> = {};
  for (const [field, header] of Object.entries(mapping.columns)) columns[field] = [header];
  const has = (f: GenericField) => mapping.columns[f] !== undefined || mapping.constants[f] !== undefined;
  const missing = (['assessment', 'subject', 'testDate', 'score'] as const).filter((f) => !has(f));
  if (missing.length > 0) throw new Error(`generic mapping: no column or constant for ${missing.join(', ')}`);
  if (!(['sourcedId', 'studentId', 'stateId', 'email'] as const).some(has))
    throw new Error('generic mapping: map at least one student column (sourcedId, studentId, stateId, email)');
  return {
    name: 'generic',
    description: 'any CSV through a column mapping',
    columns,
    required: Object.keys(columns),
    ...(mapping.delimiter ? { delimiter: mapping.delimiter } : {}),
    prepare: () => ({
      ok: true,
      parse: (values) => {
        const withConstants = new Map(values);
        for (const [f, v] of Object.entries(mapping.constants)) withConstants.set(f, v);
        const r = new RowReader(withConstants);
        const testDate = r.date('testDate');
        const score = r.number('score', { required: true, ...mapping.scale });
        const standardError = r.number('standardError', { min: 0 });
        const percentile = r.number('percentile', { min: 1, max: 99 });
        const projectedGrowth = r.number('projectedGrowth');
        const assessment = r.required('assessment');
        const subject = r.required('subject');
        const ids = [r.text('studentId'), r.text('stateId')].filter((id) => id !== '');
        const [sourcedId, email] = [r.text('sourcedId'), r.text('email')];
        if (!sourcedId && ids.length === 0 && !email)
          r.problems.push({ field: 'studentId', message: 'no student id in the row' });
        if (r.problems.length > 0 || score === null) return { ok: false, problems: r.problems };
        return {
          ok: true,
          result: {
            student: { ids, ...(sourcedId ? { sourcedId } : {}), ...(email ? { email } : {}) },
            assessment,
            subject: normalizeSubject(subject),
            testDate,
            window: r.text('window'),
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
}
