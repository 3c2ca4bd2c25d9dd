import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';

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

/** Re-reads after a runaway quote at most this many times a file; past that the rest is reported unread. */
const MAX_REREADS = 100;

interface Parsed {
  record: string[];
  info: { bytes: number };
}

/** A line of the file that is not blank: the byte it starts at and its number (from 1). */
interface Line {
  byte: number;
  line: number;
}

/**
 * The non-empty lines of a stream as they pass, so that a record's byte offsets (csv-parse's
 * `info.bytes`, which are exact) map to the file's line numbers (csv-parse's own count, `info.lines`,
 * counts a CRLF inside a quoted cell twice and names a record's last line, not its first).
 */
class LineTap extends Transform {
  private readonly lines: Line[] = [];
  private byte: number;
  private line: number;
  private lineStart: number;
  private lineEmpty = true;

  /**
   * @param blank bytes a line may hold and still be blank (skipped by the parser, which skips empty
   *   lines and lines of only delimiters): CR, space, tab and the delimiter.
   */
  constructor(
    from: Line,
    private readonly blank: ReadonlySet<number>,
  ) {
    super();
    this.byte = from.byte;
    this.line = from.line;
    this.lineStart = from.byte;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x0a) {
        this.line++;
        this.lineStart = this.byte + i + 1;
        this.lineEmpty = true;
      } else if (this.lineEmpty && !this.blank.has(b!)) {
        this.lineEmpty = false;
        this.lines.push({ byte: this.lineStart, line: this.line });
      }
    }
    this.byte += chunk.length;
    done(null, chunk);
  }

  /** The first non-empty line starting at or after `byte` (earlier ones are dropped), and the one after it. */
  lineFrom(byte: number): { first: Line | undefined; next: Line | undefined } {
    let skip = 0;
    while (skip < this.lines.length && this.lines[skip]!.byte < byte) skip++;
    if (skip > 0) this.lines.splice(0, skip);
    return { first: this.lines[0], next: this.lines[1] };
  }
}

const runawayQuote =
  'a quote opened on this line is not closed on it: the line is rejected and the lines after it read again';

/**
 * Streams a CSV file's records (header first line; cells split on `options.delimiter`, default ','). Calls `onHeader` once with the header's fields;
 * a row with more cells than the header, or a CSV syntax error, is reported as an issue and skipped
 * while the rest of the file is read. A record's line is the line it starts on.
 *
 * A quote that opens a cell and is never closed on its line (a stray `"` in a note) makes the CSV
 * grammar read every following line into that cell, up to the next quote or the end of the file. A
 * record that spans lines is therefore taken only when its cell count is the header's (a real
 * multi-line note); otherwise, and when the quote is still open at the end of the file, the line
 * where it opened is rejected and reading starts again on the line after it, so the good lines
 * behind a bad one are never lost.
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
  // Each pass reads from the start of a line to the end of the file, or to a runaway quote.
  let from: Line | undefined = { byte: 0, line: 1 };
  for (let rereads = 0; from !== undefined; rereads++) {
    if (rereads > MAX_REREADS) {
      issues.push({
        file: name,
        line: from.line,
        message: `more than ${MAX_REREADS} unclosed quotes: the lines from here on were not read`,
      });
      return;
    }
    const base: Line = from;
    from = undefined;
    let lastEnd = base.byte;
    let unclosed = false;
    const delimiter = options.delimiter ?? ',';
    const tap = new LineTap(
      base,
      new Set([0x0d, 0x20, 0x09, ...(delimiter.length === 1 ? [delimiter.charCodeAt(0)] : [])]),
    );
    const parser = createReadStream(file, { start: base.byte })
      .pipe(tap)
      .pipe(
        parse({
          bom: base.byte === 0,
          delimiter,
          relax_column_count: true,
          relax_quotes: true,
          skip_empty_lines: true,
          // A line of only delimiters (spreadsheets export trailing blank rows so) is a blank line.
          skip_records_with_empty_values: true,
          info: true,
          skip_records_with_error: true,
        }),
      );
    parser.on('skip', (err: Error & { code?: string }) => {
      if (err.code === 'CSV_QUOTE_NOT_CLOSED') unclosed = true;
      else {
        const at = tap.lineFrom(lastEnd).first ?? base;
        issues.push({ file: name, line: at.line, message: `not readable as CSV: ${err.message}` });
      }
    });
    try {
      for await (const { record, info } of parser as AsyncIterable<Parsed>) {
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
        if (next !== undefined && next.byte < endByte && record.length !== fields.length) {
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
    if (from === undefined && unclosed) {
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
