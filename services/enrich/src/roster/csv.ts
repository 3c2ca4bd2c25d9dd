import { closeSync, openSync, readSync } from 'node:fs';
import { readCsvFile } from '@edusage/csv';

/** One problem found while reading a roster file: where (file, line, field) and why. */
export interface RosterIssue {
  file: string;
  /** 1-based line of the row in the file (where it starts). */
  line?: number;
  field?: string;
  severity: 'error' | 'warning';
  message: string;
  /**
   * 'file': a problem with the file's columns or the whole file (not one row): an unreadable header,
   * slash dates in two orders. The import refuses a roster with a
   * file-level error, and with a file-level warning unless warnings are accepted.
   */
  scope?: 'file';
}

export interface CsvRow {
  line: number;
  /** Values by lower-cased header name, trimmed; missing trailing fields are ''. */
  values: Map<string, string>;
}

/** One header column as written and as read. */
export interface HeaderColumn {
  /** 0-based position. */
  index: number;
  /** As written (BOM and surrounding spaces removed). */
  raw: string;
  /** Lower-cased name after aliases and renames; the key of `CsvRow.values`. */
  name: string;
}

export interface CsvReadOptions {
  /** Lower-cased column name → the name to read it as (an explicit `--rename`). */
  renames?: ReadonlyMap<string, string>;
  /**
   * Called once with the header before any row; may return more renames (lower-cased name →
   * lower-cased name) to apply, e.g. an unambiguous spelling variant of a standard column.
   */
  onHeader?: (columns: HeaderColumn[]) => ReadonlyMap<string, string> | void;
  /** Only rows whose text matches are yielded (a quick pass looking for some values); the header always is. */
  only?: RegExp;
}

/** Lower-cased, trimmed header name; known spelling variants are mapped to the standard name. */
const HEADER_ALIASES: Record<string, string> = {
  datalastmodified: 'datelastmodified',
};

export function normalizeHeader(name: string): string {
  const n = rawHeader(name).toLowerCase();
  return HEADER_ALIASES[n] ?? n;
}

/**
 * The column names of a CSV file's first line, normalized, read from its first 64 KiB only (enough
 * for any header): to tell formats and versions apart before reading the file. [] for no file.
 */
export function peekHeader(file: string | null): string[] {
  if (!file) return [];
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const firstLine = buf.subarray(0, n).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
    return firstLine.split(',').map((c) => normalizeHeader(c.replace(/"/g, '')));
  } finally {
    closeSync(fd);
  }
}

function rawHeader(name: string): string {
  return name.replace(/^\uFEFF/, '').trim();
}

function readHeader(record: string[], opts: CsvReadOptions): HeaderColumn[] {
  const columns = record.map((raw, index) => {
    const normalized = normalizeHeader(raw);
    return { index, raw: rawHeader(raw), name: opts.renames?.get(normalized) ?? normalized };
  });
  // Trailing empty header columns ("a,b,,") are ignored.
  while (columns.length > 0 && columns[columns.length - 1]?.name === '') columns.pop();
  const more = opts.onHeader?.(columns);
  if (more) for (const c of columns) c.name = more.get(c.name) ?? c.name;
  return columns;
}

/**
 * A row's values by column name. A column that appears twice is read as one: the non-empty value
 * wins; two different non-empty values are an error (the caller rejects that row only).
 */
function rowValues(
  header: HeaderColumn[],
  record: string[],
): { values: Map<string, string>; conflict?: { field: string; message: string } } {
  const values = new Map<string, string>();
  for (const column of header) {
    if (column.name === '') continue;
    const value = (record[column.index] ?? '').trim();
    const earlier = values.get(column.name);
    if (earlier === undefined || earlier === '') values.set(column.name, value);
    else if (value !== '' && value !== earlier) {
      return {
        values,
        conflict: {
          field: column.raw,
          message: `column ${column.raw} appears twice with different values ("${earlier}" and "${value}")`,
        },
      };
    }
  }
  return { values };
}

/** A data row's values by column, or the issue that rejects it (extra fields, disagreeing repeats). */
function rowOf(
  file: string,
  line: number,
  header: HeaderColumn[],
  cells: string[],
): { issue: RosterIssue } | { values: Map<string, string> } {
  for (let i = header.length; i < cells.length; i++) {
    if ((cells[i] ?? '').trim() !== '')
      return {
        issue: {
          file,
          line,
          severity: 'error',
          message: `row has ${cells.length} fields but the header has ${header.length}`,
        },
      };
  }
  const { values, conflict } = rowValues(header, cells);
  if (conflict !== undefined) return { issue: { file, line, severity: 'error', ...conflict } };
  return { values };
}

/**
 * Streams a CSV file (RFC 4180, UTF-8, optional BOM, CRLF or LF) and yields its rows keyed by header,
 * read by the imports' one CSV reader (@edusage/csv): a stray quote rejects its own line, and reading
 * goes on at the next one, so it never merges the lines after it into the row (a value spanning lines
 * is kept only when it is well-formed CSV on its own). Tolerates trailing empty header columns and
 * short rows; a row with extra non-empty fields is reported through `onIssue` and skipped; the rows
 * beside it are kept. A header the reader cannot read is a file-level error (no row is read).
 */
export async function* readCsvRows(
  file: string,
  displayName: string,
  onIssue: (issue: RosterIssue) => void,
  opts: CsvReadOptions = {},
): AsyncGenerator<CsvRow> {
  let header: HeaderColumn[] | null = null;
  try {
    for await (const item of readCsvFile(file)) {
      if (item.kind === 'issue') {
        onIssue(readerIssue(displayName, item.line, item.message, header === null));
        if (header === null) return;
        continue;
      }
      if (header === null) {
        header = readHeader(item.cells, opts);
        continue;
      }
      if (opts.only && !opts.only.test(item.text)) continue;
      if (item.cells.length === 1 && item.cells[0]?.trim() === '') continue;
      const row = rowOf(displayName, item.line, header, item.cells);
      if ('issue' in row) onIssue(row.issue);
      else yield { line: item.line, values: row.values };
    }
  } catch (err) {
    // The reader gives up on a file whose quoting is broken throughout: the file's own error.
    onIssue({ file: displayName, severity: 'error', scope: 'file', message: (err as Error).message });
  }
}

/** A line the CSV reader could not read: that row's error, or the file's when it is the header. */
function readerIssue(file: string, line: number, message: string, isHeader: boolean): RosterIssue {
  if (isHeader)
    return { file, line, severity: 'error', scope: 'file', message: `the header line is not readable CSV: ${message}` };
  return { file, line, severity: 'error', message };
}
