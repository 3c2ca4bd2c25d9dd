import { readCsvFile } from '@edusage/csv';

/** A CSV record with its first line, original text and the byte it ends at, or a line that could not be read. */
export type CsvItem =
  | { line: number; text: string; byte: number; record: Record<string, string> }
  | { line: number; text: string; byte: number; error: string };

/**
 * Streams a CSV file's records through the imports' one reader (@edusage/csv: quoted fields,
 * embedded new lines, BOM, blank lines skipped, line numbers of the file, recovery from a stray
 * quote). `columns` receives the header and returns the column names, or throws to refuse the file.
 * A record with another number of cells than the header, or a line the reader could not read, is
 * yielded as an `error` item with its line and text, and reading goes on.
 *
 * `text` is the record as csv-parse gave it without its trailing line break: a rejected row's dead
 * letter payload.
 */
export async function* readCsvRecords(
  file: string,
  columns: (header: string[]) => string[],
  options: { trim?: boolean } = {},
): AsyncGenerator<CsvItem> {
  let names: string[] | null = null;
  for await (const item of readCsvFile(file, { trim: options.trim ?? false })) {
    if (item.kind === 'issue') {
      yield { line: item.line, text: item.text, byte: item.byte, error: `line ${item.line}: ${item.message}` };
      continue;
    }
    if (names === null) {
      names = columns(item.cells);
      continue;
    }
    const text = item.raw.replace(/[\r\n]+$/, '');
    if (item.cells.length !== names.length) {
      const error = `line ${item.line}: ${item.cells.length} fields, but the header has ${names.length}`;
      yield { line: item.line, text, byte: item.byte, error };
      continue;
    }
    const record: Record<string, string> = {};
    names.forEach((name, i) => (record[name] = item.cells[i]!));
    yield { line: item.line, text, byte: item.byte, record };
  }
}
