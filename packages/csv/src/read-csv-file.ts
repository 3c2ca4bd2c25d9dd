/**
 * The imports' one CSV file reader (licenses, approvals, assessment results, usage event files,
 * vendor exports): csv-parse, with line numbers of the file and recovery from stray quotes.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse';
import { parse as parseWhole } from 'csv-parse/sync';
import { blankBytes, LineTap, type Line } from './csv-lines';

export interface CsvFileOptions {
  /** Cell separator (default ','). */
  delimiter?: string;
  /** Trim spaces around cells (csv-parse's `trim`). */
  trim?: boolean;
}

/**
 * What the file holds, in file order. The first record is the header. `line` is the line a record
 * starts on; `text` is the record as written (for a dead letter); `byte` is where it ends (progress).
 */
export type CsvFileItem =
  | {
      kind: 'record';
      line: number;
      cells: string[];
      text: string;
      byte: number;
      /** The record as csv-parse gave it (blank lines before it included, its line break not always). */
      raw: string;
      /**
       * csv-parse's own line count for the record: its last line, a CRLF inside a quoted cell counted
       * twice. Only for ids that were derived from it before this reader existed (ingest's CSV rows
       * without an event_id), so a file imported before hashes to the same ids.
       */
      parserLine: number;
    }
  | { kind: 'issue'; line: number; message: string; text: string; byte: number };

/**
 * Restarts after a bad line at most this many times a file; past that the file is refused. A restart
 * costs at most a record (MAX_RECORD_CHARS) read again.
 */
const MAX_REREADS = 1000;

/** The longest record (characters): a quote left open over a large file would otherwise hold all of it. */
const MAX_RECORD_CHARS = 1 << 20;

/** The most of a rejected line kept as its text. */
const MAX_LINE_TEXT = 64 * 1024;

interface Parsed {
  record: string[];
  raw: string;
  info: { bytes: number; lines: number };
}

export const RUNAWAY_QUOTE =
  'a quote opened on this line is not closed on it: the line is rejected and the lines after it read again';

const recordText = (raw: string) => raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '');

/**
 * A record that spans lines is a real multi-line cell only when its text is well-formed CSV on its
 * own (every quoted cell closed by a quote that the delimiter or the line's end follows) and has no
 * more cells than the header. A stray quote instead runs on to the next quote of the file, which
 * opens or sits inside another cell: the text is then not strict CSV (or, by chance, has too many
 * cells).
 */
function isWellFormed(raw: string, delimiter: string, trim: boolean, cells: number): boolean {
  try {
    const records = parseWhole(recordText(raw), {
      delimiter,
      trim,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }) as string[][];
    return records.length === 1 && records[0]!.length <= cells;
  } catch {
    return false;
  }
}

/** The text of one line of `file` (bytes [from, to), at most MAX_LINE_TEXT), without its line break. */
async function lineText(file: string, from: number, to: number | undefined): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const length = Math.min(MAX_LINE_TEXT, (to ?? from + MAX_LINE_TEXT) - from);
    const buffer = Buffer.alloc(Math.max(0, length));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    const end = text.search(/[\r\n]/);
    return end === -1 ? text : text.slice(0, end);
  } finally {
    await handle.close();
  }
}

/**
 * Streams a CSV file's records (the header first) and its problems, in file order. A record csv-parse
 * cannot read is an issue, and reading goes on.
 *
 * A quote that opens a cell and is never closed on its line (a stray `"` in a note) makes the CSV
 * grammar read every following line into that cell, up to the next quote or the end of the file. A
 * record that spans lines is therefore taken only when it is well-formed on its own (`isWellFormed`:
 * a real multi-line note); otherwise, and when the quote is still open at the end of the file or the
 * record grows past MAX_RECORD_CHARS, the line where it opened is an issue and reading starts again
 * on the line after it, so the good lines behind a bad one are never lost. A file that needs more
 * than MAX_REREADS such restarts is refused (an error): its quoting is broken throughout.
 */
export async function* readCsvFile(file: string, options: CsvFileOptions = {}): AsyncGenerator<CsvFileItem> {
  const name = path.basename(file);
  const delimiter = options.delimiter ?? ',';
  const trim = options.trim ?? false;
  let headerCells: number | null = null;
  // Each pass reads from the start of a line to the end of the file, or to a bad line.
  let from: Line | undefined = { byte: 0, line: 1 };
  // csv-parse's own line count (parserLine) where the pass before stopped at a malformed record:
  // the records after that record continue that count, as one unbroken parse would have given it.
  let anchor: { byte: number; count: number } | null = null;
  for (let rereads = 0; from !== undefined; rereads++) {
    if (rereads > MAX_REREADS)
      throw new Error(
        `${name}: more than ${MAX_REREADS} lines are not readable CSV (the last on line ${from.line - 1}): ` +
          'the file was not read to its end; fix its quoting and import it again',
      );
    const base: Line = from;
    from = undefined;
    let lastEnd = base.byte;
    // Why the parser stopped before the end: a quote still open at the end of the file, a record too
    // long, or an error after which csv-parse drops the rest of its chunk. The line is reported and
    // reading starts again after it.
    let stopped: string | null = null;
    // Where csv-parse was when it dropped the rest of its chunk: its raw record so far and line count.
    let dropped: { raw: string; lines: number } | null = null;
    // Problems csv-parse reports as it goes, given out before the next record.
    const problems: CsvFileItem[] = [];
    const tap = new LineTap(base, blankBytes(delimiter));
    const source = createReadStream(file, { start: base.byte });
    const parser = source.pipe(tap).pipe(
      parse({
        bom: base.byte === 0,
        delimiter,
        trim,
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
    // A file that cannot be read (missing, a directory) fails the read, not the process.
    source.on('error', (err) => parser.destroy(err));
    const stop = (why: string) => {
      if (stopped !== null) return;
      stopped = why;
      // Feed the parser nothing more: it ends after the records it already parsed, which are still read.
      source.unpipe(tap);
      source.destroy();
      tap.end();
    };
    parser.on('skip', (err: Error & { code?: string; raw?: string; lines?: number }) => {
      // These two leave csv-parse inside the quote to the end of the file (reporting it every MiB), or
      // drop the rest of the chunk it was parsing (a quote followed by text when cells are trimmed).
      if (err.code === 'CSV_MAX_RECORD_SIZE') stop(RUNAWAY_QUOTE);
      else if (err.code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE') {
        dropped ??= { raw: err.raw ?? '', lines: err.lines ?? 0 };
        stop(`not readable as CSV: ${err.message.replace(/ at line \d+$/, '')}`);
      } else if (err.code === 'CSV_QUOTE_NOT_CLOSED') stopped ??= RUNAWAY_QUOTE;
      else if (stopped === null) {
        const line = base.line - 1 + (err.lines ?? 1);
        const text = recordText(err.raw ?? '');
        problems.push({ kind: 'issue', line, message: `not readable as CSV: ${err.message}`, text, byte: lastEnd });
      }
    });
    // The parse count at the end of the last record before the anchor (this pass's start before one).
    let countAtAnchor = base.line - 1;
    try {
      for await (const { record, raw, info } of parser as AsyncIterable<Parsed>) {
        yield* problems.splice(0);
        const endByte = base.byte + info.bytes;
        const { first, next } = tap.lineFrom(lastEnd);
        const line = first?.line ?? base.line;
        lastEnd = endByte;
        const count = base.line - 1 + info.lines;
        if (anchor !== null && endByte <= anchor.byte) countAtAnchor = count;
        const parserLine: number =
          anchor !== null && endByte > anchor.byte ? anchor.count + (count - countAtAnchor) : count;
        if (headerCells === null) headerCells = record.length;
        else if (next !== undefined && next.byte < endByte && !isWellFormed(raw, delimiter, trim, headerCells)) {
          const text = await lineText(file, first?.byte ?? base.byte, next.byte);
          yield { kind: 'issue', line, message: RUNAWAY_QUOTE, text, byte: next.byte };
          from = next;
          anchor = { byte: endByte, count: parserLine };
          break;
        }
        yield { kind: 'record', line, cells: record, text: recordText(raw), byte: endByte, raw, parserLine };
      }
      yield* problems.splice(0);
    } finally {
      parser.destroy();
      source.destroy();
    }
    const why = stopped as string | null;
    if (from === undefined && why !== null) {
      const { first, next } = tap.lineFrom(lastEnd);
      const at = first ?? base;
      const text = await lineText(file, at.byte, next?.byte);
      yield { kind: 'issue', line: at.line, message: why, text, byte: next?.byte ?? lastEnd };
      // A header that is not readable leaves nothing to read the rows by.
      if (headerCells !== null) from = next;
      // One parse of the whole file would have skipped the broken record to the end of the line where
      // csv-parse failed, and counted on from there; elsewhere nothing after the stop was parsed.
      const broken = dropped as { raw: string; lines: number } | null;
      const lineAfter = broken === null ? undefined : tap.lineAfter(at.byte + Buffer.byteLength(broken.raw));
      anchor = broken !== null && lineAfter !== undefined ? { byte: lineAfter.byte, count: broken.lines } : null;
    }
  }
}
