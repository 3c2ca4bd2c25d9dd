import { Transform, type TransformCallback } from 'node:stream';

/** A line of a file that is not blank: the byte it starts at and its number (from 1). */
export interface Line {
  byte: number;
  line: number;
}

const CR = 0x0d;
const LF = 0x0a;
const QUOTE = 0x22;

/**
 * The non-blank lines of a stream as they pass, so that a record's byte offsets (csv-parse's
 * `info.bytes`, which are exact) map to the file's line numbers (csv-parse's own count, `info.lines`,
 * counts a CRLF inside a quoted cell twice and names a record's last line, not its first). A line
 * ends at LF, CRLF or a lone CR (old Mac exports).
 */
export class LineTap extends Transform {
  private readonly lines: Line[] = [];
  /** Lines before this index were handed out and are dropped from time to time. */
  private head = 0;
  private byte: number;
  private line: number;
  private lineStart: number;
  private lineBlank = true;
  /** Quotes on the current line while it is blank: an odd number opens a cell, so the line is not blank. */
  private quotes = 0;
  private afterCr = false;

  /**
   * @param from where the stream starts: a line's first byte and its number.
   * @param blank bytes a line may hold and still be blank, as the parser skips it (empty lines, lines
   *   of only delimiters, quotes and spaces: skip_empty_lines, skip_records_with_empty_values).
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
      const b = chunk[i]!;
      if (b === LF || b === CR) {
        // The LF of a CRLF ends the line its CR already ended.
        if (!(b === LF && this.afterCr)) {
          if (this.lineBlank && this.quotes % 2 === 1) this.lines.push({ byte: this.lineStart, line: this.line });
          this.line++;
        }
        this.quotes = 0;
        this.afterCr = b === CR;
        this.lineStart = this.byte + i + 1;
        this.lineBlank = true;
        continue;
      }
      this.afterCr = false;
      if (b === QUOTE) this.quotes++;
      if (this.lineBlank && !this.blank.has(b)) {
        this.lineBlank = false;
        this.lines.push({ byte: this.lineStart, line: this.line });
      }
    }
    this.byte += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.lineBlank && this.quotes % 2 === 1) this.lines.push({ byte: this.lineStart, line: this.line });
    done();
  }

  /** The first non-blank line starting after `byte` (none dropped). */
  lineAfter(byte: number): Line | undefined {
    for (let i = this.head; i < this.lines.length; i++) if (this.lines[i]!.byte > byte) return this.lines[i];
    return undefined;
  }

  /** The first non-blank line starting at or after `byte` (earlier ones are dropped), and the one after it. */
  lineFrom(byte: number): { first: Line | undefined; next: Line | undefined } {
    while (this.head < this.lines.length && this.lines[this.head]!.byte < byte) this.head++;
    if (this.head > 4096) {
      this.lines.splice(0, this.head);
      this.head = 0;
    }
    return { first: this.lines[this.head], next: this.lines[this.head + 1] };
  }
}

/** The bytes a blank line may hold with `delimiter`: spaces, tabs, no-break spaces, quotes and the delimiter's. */
export function blankBytes(delimiter: string): ReadonlySet<number> {
  return new Set([0x20, 0x09, 0xc2, 0xa0, 0x22, ...Buffer.from(delimiter)]);
}
