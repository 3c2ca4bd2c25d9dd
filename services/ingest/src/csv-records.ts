import { parse as parseCsv } from 'csv-parse';

/** A CSV record with its 1-based first line and original text, or a record csv-parse could not read. */
export type CsvItem =
  { line: number; text: string; record: Record<string, string> } | { line: number; text: string; error: string };

/**
 * Streams CSV records through csv-parse (quoted fields, embedded new lines, BOM, blank lines
 * skipped), in file order. `columns` receives the header and returns the column names, or throws to
 * refuse the file (the error ends the stream). A broken record (wrong number of fields, bad quotes)
 * is yielded as an `error` item with its line and text, and reading goes on.
 */
export async function* readCsvRecords(
  input: NodeJS.ReadableStream,
  columns: (header: string[]) => string[],
  options: { trim?: boolean } = {},
): AsyncGenerator<CsvItem> {
  const broken: CsvItem[] = [];
  const parser = parseCsv({
    columns,
    bom: true,
    trim: options.trim ?? false,
    skip_empty_lines: true,
    info: true,
    raw: true,
    skip_records_with_error: true,
    on_skip: (err: (Error & { lines?: number }) | undefined, rawText?: string) => {
      const line = err?.lines ?? 0;
      broken.push({
        line,
        text: (rawText ?? '').replace(/[\r\n]+$/, ''),
        error: `line ${line}: ${err?.message ?? 'bad CSV record'}`,
      });
    },
  });
  input.pipe(parser);
  input.on('error', (err) => parser.destroy(err));
  try {
    for await (const rec of parser as AsyncIterable<{
      record: Record<string, string>;
      raw: string;
      info: { lines: number };
    }>) {
      // csv-parse reports a broken record through on_skip before the next good one arrives.
      while (broken.length > 0) yield broken.shift()!;
      yield { line: rec.info.lines, text: rec.raw.replace(/[\r\n]+$/, ''), record: rec.record };
    }
    while (broken.length > 0) yield broken.shift()!;
  } finally {
    parser.destroy(); // a caller that stops early does not leave the parser waiting
  }
}
