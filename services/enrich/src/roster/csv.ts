import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { parse } from 'csv-parse';

/** One problem found while reading a roster file: where (file, line, field) and why. */
export interface RosterIssue {
  file: string;
  /** 1-based line of the record in the file (the line where the record ends for multi-line fields). */
  line?: number;
  field?: string;
  severity: 'error' | 'warning';
  message: string;
  /**
   * 'file': a problem with the file's columns (not one row). The import refuses a roster with a
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

/**
 * Streams a CSV file (RFC 4180, UTF-8, optional BOM, CRLF or LF) and yields its rows keyed by header.
 * Tolerates trailing empty header columns and short rows; a row with extra non-empty fields, or one
 * the CSV parser cannot read, is reported through `onIssue` and skipped; the rows beside it are kept.
 */
export async function* readCsvRows(
  file: string,
  displayName: string,
  onIssue: (issue: RosterIssue) => void,
  opts: CsvReadOptions = {},
): AsyncGenerator<CsvRow> {
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      const lines = err && typeof err['lines'] === 'number' ? (err['lines'] as number) : undefined;
      onIssue({
        file: displayName,
        ...(lines !== undefined ? { line: lines } : {}),
        severity: 'error',
        message: `unreadable CSV record: ${err?.message ?? 'parse error'}`,
      });
      return undefined;
    },
  });
  const input = createReadStream(file);
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);

  let header: HeaderColumn[] | null = null;
  for await (const item of parser as AsyncIterable<{
    record: string[];
    info: { lines: number };
  }>) {
    const { record, info } = item;
    if (header === null) {
      header = readHeader(record, opts);
      continue;
    }
    if (record.length === 1 && record[0]?.trim() === '') continue;
    let extra = false;
    for (let i = header.length; i < record.length; i++) {
      if ((record[i] ?? '').trim() !== '') extra = true;
    }
    if (extra) {
      onIssue({
        file: displayName,
        line: info.lines,
        severity: 'error',
        message: `row has ${record.length} fields but the header has ${header.length}`,
      });
      continue;
    }
    const { values, conflict } = rowValues(header, record);
    if (conflict !== undefined) {
      onIssue({ file: displayName, line: info.lines, severity: 'error', ...conflict });
      continue;
    }
    yield { line: info.lines, values };
  }
}
