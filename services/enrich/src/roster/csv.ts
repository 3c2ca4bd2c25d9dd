import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

/** One problem found while reading a roster file: where (file, line, field) and why. */
export interface RosterIssue {
  file: string;
  /** 1-based line of the record in the file (the line where the record ends for multi-line fields). */
  line?: number;
  field?: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface CsvRow {
  line: number;
  /** Values by lower-cased header name, trimmed; missing trailing fields are ''. */
  values: Map<string, string>;
}

/** Lower-cased, trimmed header name; known spelling variants are mapped to the standard name. */
const HEADER_ALIASES: Record<string, string> = {
  datalastmodified: 'datelastmodified',
};

export function normalizeHeader(name: string): string {
  const n = name
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase();
  return HEADER_ALIASES[n] ?? n;
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

  let header: string[] | null = null;
  for await (const item of parser as AsyncIterable<{
    record: string[];
    info: { lines: number };
  }>) {
    const { record, info } = item;
    if (header === null) {
      header = record.map(normalizeHeader);
      // Trailing empty header columns ("a,b,,") are ignored.
      while (header.length > 0 && header[header.length - 1] === '') header.pop();
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
    const values = new Map<string, string>();
    for (let i = 0; i < header.length; i++) {
      const name = header[i];
      if (!name) continue;
      values.set(name, (record[i] ?? '').trim());
    }
    yield { line: info.lines, values };
  }
}
