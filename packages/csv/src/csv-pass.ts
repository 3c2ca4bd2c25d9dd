/**
 * One pass of csv-parse over a file, from the start of a line to the end of the file or to a line it
 * cannot get past: the streams it reads through, and what its skip events mean for the reader.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { parse, type Options, type Parser } from 'csv-parse';
import { blankBytes, LineTap, type Line } from './csv-lines';
import type { CsvFileItem } from './read-csv-file';

/** The longest record (characters): a quote left open over a large file would otherwise hold all of it. */
const MAX_RECORD_CHARS = 1 << 20;

export const RUNAWAY_QUOTE =
  'a quote opened on this line is not closed on it: the line is rejected and the lines after it read again';

/** A record as csv-parse gives it with `info` and `raw`. */
export interface Parsed {
  record: string[];
  raw: string;
  info: { bytes: number; lines: number };
}

/** Where csv-parse was when it dropped the rest of its chunk: its raw record so far and line count. */
export interface Dropped {
  raw: string;
  lines: number;
}

type SkipError = Error & { code?: string; raw?: string; lines?: number };

/** A record's text as written: without the blank lines before it and the line break after it. */
export const recordText = (raw: string) => raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '');

function parserOptions(base: Line, delimiter: string, trim: boolean): Options {
  return {
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
  };
}

/**
 * Reads `file` from `base` through a LineTap (the file's line numbers) into csv-parse. Its records
 * are read from `parser`; the problems it reports as it goes wait in the pass until taken.
 */
export class CsvPass {
  readonly tap: LineTap;
  readonly parser: Parser;
  private readonly source: ReadStream;
  /** Where the last record given out ends: a problem is placed there, and the next record's line found from it. */
  lastEnd: number;
  /**
   * Why the parser stopped before the end: a quote still open at the end of the file, a record too
   * long, or an error after which csv-parse drops the rest of its chunk. The line is reported and
   * reading starts again after it.
   */
  stopped: string | null = null;
  dropped: Dropped | null = null;
  /** Problems csv-parse reports as it goes, given out before the next record. */
  private readonly problems: CsvFileItem[] = [];

  constructor(
    file: string,
    readonly base: Line,
    delimiter: string,
    trim: boolean,
  ) {
    this.lastEnd = base.byte;
    this.tap = new LineTap(base, blankBytes(delimiter));
    this.source = createReadStream(file, { start: base.byte });
    this.parser = this.source.pipe(this.tap).pipe(parse(parserOptions(base, delimiter, trim)));
    // A file that cannot be read (missing, a directory) fails the read, not the process.
    this.source.on('error', (err) => this.parser.destroy(err));
    this.parser.on('skip', (err: SkipError) => this.onSkip(err));
  }

  /** The problems reported since they were last taken. */
  takeProblems(): CsvFileItem[] {
    return this.problems.splice(0);
  }

  close(): void {
    this.parser.destroy();
    this.source.destroy();
  }

  private onSkip(err: SkipError): void {
    // These two leave csv-parse inside the quote to the end of the file (reporting it every MiB), or
    // drop the rest of the chunk it was parsing (a quote followed by text when cells are trimmed).
    if (err.code === 'CSV_MAX_RECORD_SIZE') this.stop(RUNAWAY_QUOTE);
    else if (err.code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE') {
      this.dropped ??= { raw: err.raw ?? '', lines: err.lines ?? 0 };
      this.stop(`not readable as CSV: ${err.message.replace(/ at line \d+$/, '')}`);
    } else if (err.code === 'CSV_QUOTE_NOT_CLOSED') this.stopped ??= RUNAWAY_QUOTE;
    else if (this.stopped === null) {
      const line = this.base.line - 1 + (err.lines ?? 1);
      const text = recordText(err.raw ?? '');
      const message = `not readable as CSV: ${err.message}`;
      this.problems.push({ kind: 'issue', line, message, text, byte: this.lastEnd });
    }
  }

  private stop(why: string): void {
    if (this.stopped !== null) return;
    this.stopped = why;
    // Feed the parser nothing more: it ends after the records it already parsed, which are still read.
    this.source.unpipe(this.tap);
    this.source.destroy();
    this.tap.end();
  }
}
