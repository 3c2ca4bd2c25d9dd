/**
 * The imports' one CSV file reader (licenses, approvals, assessment results, usage event files,
 * vendor exports): csv-parse, with line numbers of the file and recovery from stray quotes.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseWhole } from 'csv-parse/sync';
import type { Line } from './csv-lines';
import { CsvPass, RUNAWAY_QUOTE, recordText, type Parsed } from './csv-pass';

export { RUNAWAY_QUOTE };

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
 * costs at most a record (MAX_RECORD_CHARS, csv-pass) read again.
 */
const MAX_REREADS = 1000;

/** The most of a rejected line kept as its text. */
const MAX_LINE_TEXT = 64 * 1024;

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
 * Where reading goes on after a pass (`next`; none: the file is read), and `anchor`: csv-parse's own
 * line count (parserLine) where the pass stopped at a malformed record. The records after that record
 * continue that count, as one unbroken parse would have given it.
 */
interface PassEnd {
  next: Line | undefined;
  anchor: Anchor | null;
}

interface Anchor {
  byte: number;
  count: number;
}

/** What every pass over one file shares: the file, how it is parsed, and the header's cell count once read. */
interface FileReading {
  file: string;
  delimiter: string;
  trim: boolean;
  headerCells: number | null;
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
  const reading: FileReading = {
    file,
    delimiter: options.delimiter ?? ',',
    trim: options.trim ?? false,
    headerCells: null,
  };
  // Each pass reads from the start of a line to the end of the file, or to a bad line.
  let from: Line | undefined = { byte: 0, line: 1 };
  let anchor: Anchor | null = null;
  for (let rereads = 0; from !== undefined; rereads++) {
    if (rereads > MAX_REREADS)
      throw new Error(
        `${name}: more than ${MAX_REREADS} lines are not readable CSV (the last on line ${from.line - 1}): ` +
          'the file was not read to its end; fix its quoting and import it again',
      );
    ({ next: from, anchor } = yield* readPass(reading, from, anchor));
  }
}

/** One pass from `base`: its records and problems, then the line it could not get past, if any. */
async function* readPass(
  reading: FileReading,
  base: Line,
  anchor: Anchor | null,
): AsyncGenerator<CsvFileItem, PassEnd> {
  const pass = new CsvPass(reading.file, base, reading.delimiter, reading.trim);
  let restart: PassEnd | undefined;
  try {
    restart = yield* readRecords(pass, reading, anchor);
  } finally {
    pass.close();
  }
  if (restart !== undefined) return restart;
  if (pass.stopped === null) return { next: undefined, anchor };
  return yield* reportStop(pass, reading, pass.stopped);
}

/**
 * The pass's records with their line numbers, up to the end of what the parser read or to a record
 * that runs over lines without being well-formed (a stray quote): that record's first line is an
 * issue, and the pass ends there with where to read again.
 */
async function* readRecords(
  pass: CsvPass,
  reading: FileReading,
  anchor: Anchor | null,
): AsyncGenerator<CsvFileItem, PassEnd | undefined> {
  const { base, tap } = pass;
  const parserLineOf = parserLineCounter(base, anchor);
  for await (const { record, raw, info } of pass.parser as AsyncIterable<Parsed>) {
    yield* pass.takeProblems();
    const endByte = base.byte + info.bytes;
    const { first, next } = tap.lineFrom(pass.lastEnd);
    const line = first?.line ?? base.line;
    pass.lastEnd = endByte;
    const parserLine = parserLineOf(endByte, info.lines);
    if (reading.headerCells === null) reading.headerCells = record.length;
    else if (
      next !== undefined &&
      next.byte < endByte &&
      !isWellFormed(raw, reading.delimiter, reading.trim, reading.headerCells)
    ) {
      const text = await lineText(reading.file, first?.byte ?? base.byte, next.byte);
      yield { kind: 'issue', line, message: RUNAWAY_QUOTE, text, byte: next.byte };
      return { next, anchor: { byte: endByte, count: parserLine } };
    }
    yield { kind: 'record', line, cells: record, text: recordText(raw), byte: endByte, raw, parserLine };
  }
  yield* pass.takeProblems();
  return undefined;
}

/**
 * csv-parse's line count for each record of a pass from `base` (records in order: the end byte and
 * csv-parse's `info.lines`), continued from `anchor` past the record where the pass before stopped.
 */
function parserLineCounter(base: Line, anchor: Anchor | null): (endByte: number, lines: number) => number {
  // The count at the end of the last record before the anchor (this pass's start before one).
  let countAtAnchor = base.line - 1;
  return (endByte, lines) => {
    const count = base.line - 1 + lines;
    if (anchor === null) return count;
    if (endByte <= anchor.byte) {
      countAtAnchor = count;
      return count;
    }
    return anchor.count + (count - countAtAnchor);
  };
}

/**
 * The line where the parser stopped (`why`) as an issue, and where to read again: the line after it,
 * once the header was read.
 */
async function* reportStop(pass: CsvPass, reading: FileReading, why: string): AsyncGenerator<CsvFileItem, PassEnd> {
  const { first, next } = pass.tap.lineFrom(pass.lastEnd);
  const at = first ?? pass.base;
  const text = await lineText(reading.file, at.byte, next?.byte);
  yield { kind: 'issue', line: at.line, message: why, text, byte: next?.byte ?? pass.lastEnd };
  // A header that is not readable leaves nothing to read the rows by.
  const from = reading.headerCells !== null ? next : undefined;
  return { next: from, anchor: anchorAfterDrop(pass, at) };
}

/**
 * One parse of the whole file would have skipped the broken record to the end of the line where
 * csv-parse failed, and counted on from there; elsewhere nothing after the stop was parsed.
 */
function anchorAfterDrop(pass: CsvPass, at: Line): Anchor | null {
  const broken = pass.dropped;
  if (broken === null) return null;
  const lineAfter = pass.tap.lineAfter(at.byte + Buffer.byteLength(broken.raw));
  return lineAfter === undefined ? null : { byte: lineAfter.byte, count: broken.lines };
}
