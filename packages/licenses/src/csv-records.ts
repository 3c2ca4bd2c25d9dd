import path from 'node:path';
import { readCsvFile } from '@edusage/csv';

/** One problem with an input file: where (file, line, field) and why. */
export interface RowIssue {
  file: string;
  /** 1-based line of the record (0 = the file as a whole, e.g. its header). */
  line: number;
  field?: string;
  message: string;
}

/** One data record: canonical field name → trimmed cell text, and the line it starts on. */
export interface CsvRecord {
  line: number;
  values: Map<string, string>;
}

/**
 * The columns of one import format: canonical field name → accepted header names (compared
 * case-insensitively, ignoring spaces, '_' and '-'). The first name is the documented one.
 */
export type ColumnSpec = Record<string, readonly string[]>;

const normalize = (header: string) =>
  header
    .replace(/^\uFEFF/, '')
    .replace(/[\s_-]/g, '')
    .toLowerCase();

/** Header cells → canonical field per column (undefined = a column this format ignores). */
export function mapHeader(header: string[], spec: ColumnSpec): { fields: (string | undefined)[]; repeated: string[] } {
  const byName = new Map<string, string>();
  for (const [field, names] of Object.entries(spec)) for (const n of names) byName.set(normalize(n), field);
  const seen = new Set<string>();
  const repeated: string[] = [];
  const fields = header.map((h) => {
    const field = byName.get(normalize(h));
    if (field !== undefined && seen.has(field)) repeated.push(h.trim());
    if (field !== undefined) seen.add(field);
    return field;
  });
  return { fields, repeated };
}

/**
 * Streams a CSV file's records (header first line; cells split on `options.delimiter`, default ','),
 * through @edusage/csv's reader (line numbers of the file, recovery from stray quotes). Calls
 * `onHeader` once with the header's fields; a row with more cells than the header, or a line the
 * reader could not read, is reported as an issue and skipped while the rest of the file is read.
 */
export async function* readCsvRecords(
  file: string,
  spec: ColumnSpec,
  onHeader: (present: Set<string>, repeated: string[]) => void,
  issues: RowIssue[],
  options: { delimiter?: string } = {},
): AsyncGenerator<CsvRecord> {
  const name = path.basename(file);
  let fields: (string | undefined)[] | null = null;
  for await (const item of readCsvFile(file, options)) {
    if (item.kind === 'issue') {
      issues.push({ file: name, line: item.line, message: item.message });
      continue;
    }
    if (fields === null) {
      const mapped = mapHeader(item.cells, spec);
      fields = mapped.fields;
      onHeader(new Set(fields.filter((f): f is string => f !== undefined)), mapped.repeated);
      continue;
    }
    if (item.cells.length > fields.length) {
      issues.push({
        file: name,
        line: item.line,
        message: `${item.cells.length} cells but the header has ${fields.length}`,
      });
      continue;
    }
    const values = new Map<string, string>();
    fields.forEach((f, i) => {
      if (f !== undefined) values.set(f, (item.cells[i] ?? '').trim());
    });
    yield { line: item.line, values };
  }
}

/**
 * How many data lines `readCsvRecords` could not read (its issues without a field past the header):
 * rows lost, which the import counts as rejected.
 */
export const unreadableRows = (issues: readonly RowIssue[]): number =>
  issues.filter((i) => i.field === undefined && i.line > 1).length;
