import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { parse as parseWhole } from 'csv-parse/sync';
import { blankBytes, LineTap, type Line } from './csv-lines';

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

/** Re-reads after a runaway quote at most this many times a file; past that the file is refused. */
const MAX_REREADS = 100;

/** The longest record (characters): a quote left open over a large file would otherwise hold all of it. */
const MAX_RECORD_CHARS = 1 << 20;

interface Parsed {
  record: string[];
  raw: string;
  info: { bytes: number };
}

const runawayQuote =
  'a quote opened on this line is not closed on it: the line is rejected and the lines after it read again';

/**
 * A record that spans lines is a real multi-line cell only when its text is well-formed CSV on its
 * own (every quoted cell closed by a quote that the delimiter or the line's end follows) and has no
 * more cells than the header. A stray quote instead runs on to the next quote of the file, which
 * opens or sits inside another cell: the text is then not strict CSV (or, by chance, has too many
 * cells).
 */
function isWellFormed(raw: string, delimiter: string, cells: number): boolean {
  try {
    const records = parseWhole(raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, ''), {
      delimiter,
      relax_column_count: true,
    }) as string[][];
    return records.length === 1 && records[0]!.length <= cells;
  } catch {
    return false;
  }
}

/**
 * Streams a CSV file's records (header first line; cells split on `options.delimiter`, default ','). Calls `onHeader` once with the header's fields;
 * a row with more cells than the header, or a CSV syntax error, is reported as an issue and skipped
 * while the rest of the file is read. A record's line is the line it starts on.
 *
 * A quote that opens a cell and is never closed on its line (a stray `"` in a note) makes the CSV
 * grammar read every following line into that cell, up to the next quote or the end of the file. A
 * record that spans lines is therefore taken only when it is well-formed on its own (`isWellFormed`:
 * a real multi-line note); otherwise, and when the quote is still open at the end of the file or the
 * record grows past MAX_RECORD_CHARS, the line where it opened is rejected and reading starts again
 * on the line after it, so the good lines behind a bad one are never lost. A file that needs more
 * than MAX_REREADS such restarts is refused (an error): its quoting is broken throughout.
 */
export async function* readCsvRecords(
  file: string,
  spec: ColumnSpec,
  onHeader: (present: Set<string>, repeated: string[]) => void,
  issues: RowIssue[],
  options: { delimiter?: string } = {},
): AsyncGenerator<CsvRecord> {
  const name = path.basename(file);
  const delimiter = options.delimiter ?? ',';
  let fields: (string | undefined)[] | null = null;
  // Each pass reads from the start of a line to the end of the file, or to a runaway quote.
  let from: Line | undefined = { byte: 0, line: 1 };
  for (let rereads = 0; from !== undefined; rereads++) {
    if (rereads > MAX_REREADS)
      throw new Error(
        `${name}: more than ${MAX_REREADS} lines open a quote they do not close (the last on line ${from.line - 1}): ` +
          'the file was not read to its end; fix its quoting and import it again',
      );
    const base: Line = from;
    from = undefined;
    let lastEnd = base.byte;
    // The parser stopped on a quote still open at the end of the file, or on a record too long.
    let runaway = false;
    const tap = new LineTap(base, blankBytes(delimiter));
    const source = createReadStream(file, { start: base.byte });
    const parser = source.pipe(tap).pipe(
      parse({
        bom: base.byte === 0,
        delimiter,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        // A line of only delimiters (spreadsheets export trailing blank rows so) is a blank line.
        skip_records_with_empty_values: true,
        max_record_size: MAX_RECORD_CHARS,
        info: true,
        raw: true,
        skip_records_with_error: true,
      }),
    );
    parser.on('skip', (err: Error & { code?: string }) => {
      if (err.code === 'CSV_MAX_RECORD_SIZE' && !runaway) {
        // The parser would go on to the end of the file inside the quote (reporting this every MiB).
        // Feed it nothing more: it ends after the records it already parsed, which are still read.
        runaway = true;
        source.unpipe(tap);
        source.destroy();
        tap.end();
      } else if (err.code === 'CSV_QUOTE_NOT_CLOSED') runaway = true;
      else if (!runaway) {
        const at = tap.lineFrom(lastEnd).first ?? base;
        issues.push({ file: name, line: at.line, message: `not readable as CSV: ${err.message}` });
      }
    });
    try {
      for await (const { record, raw, info } of parser as AsyncIterable<Parsed>) {
        const endByte = base.byte + info.bytes;
        const { first, next } = tap.lineFrom(lastEnd);
        const line = first?.line ?? base.line;
        lastEnd = endByte;
        if (fields === null) {
          const mapped = mapHeader(record, spec);
          fields = mapped.fields;
          onHeader(new Set(fields.filter((f): f is string => f !== undefined)), mapped.repeated);
          continue;
        }
        if (next !== undefined && next.byte < endByte && !isWellFormed(raw, delimiter, fields.length)) {
          issues.push({ file: name, line, message: runawayQuote });
          from = next;
          break;
        }
        if (record.length > fields.length) {
          issues.push({ file: name, line, message: `${record.length} cells but the header has ${fields.length}` });
          continue;
        }
        const values = new Map<string, string>();
        fields.forEach((f, i) => {
          if (f !== undefined) values.set(f, (record[i] ?? '').trim());
        });
        yield { line, values };
      }
    } finally {
      parser.destroy();
    }
    if (from === undefined && (runaway as boolean)) {
      const { first, next } = tap.lineFrom(lastEnd);
      issues.push({ file: name, line: first?.line ?? base.line, message: runawayQuote });
      // A header that never closed its quote leaves nothing to read the rows by.
      if (fields !== null) from = next;
    }
  }
}

/**
 * How many data lines `readCsvRecords` could not read (its issues without a field past the header):
 * rows lost, which the import counts as rejected.
 */
export const unreadableRows = (issues: readonly RowIssue[]): number =>
  issues.filter((i) => i.field === undefined && i.line > 1).length;
