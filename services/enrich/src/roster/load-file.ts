import path from 'node:path';
import type { AppCatalog } from '../catalog/catalog';
import { checkColumns, type ColumnRules } from './columns';
import { normalizeHeader, readCsvRows, type CsvReadOptions, type HeaderColumn, type RosterIssue } from './csv';
import { fileSlashOrder, type DateColumns } from './date-order';
import type { SlashOrder } from './dates';
import { FieldError, type Values } from './fields';
import type { RosterData } from './model';

/** Row counts per input file. */
export interface FileSummary {
  file: string;
  /** Data rows read. */
  rows: number;
  kept: number;
  /** Rows with status `tobedeleted` (left out on purpose, not errors). */
  excluded: number;
  rejected: number;
}

/** The roster formats edusage reads. */
export type RosterFormat = 'oneroster' | 'sds' | 'sds-v1';

export interface RosterReport {
  /** Format read (detected from the files, or as asked). */
  format: RosterFormat;
  /** Format version: `oneroster.version` from manifest.csv or as detected from the files (OneRoster), "v2"/"v2.1" (SDS). */
  formatVersion: string | null;
  /** `oneroster.version` from manifest.csv, when present. */
  onerosterVersion: string | null;
  /** Entities the manifest marks as `delta` (a delta file is not a full roster). */
  deltaFiles: string[];
  files: FileSummary[];
  issues: RosterIssue[];
  /** Standard files not present in the folder. */
  missingFiles: string[];
}

/** Explicit column renames: lower-cased file name → (lower-cased column → lower-cased new name). */
export type ColumnRenames = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** The app catalog a load checks course_apps.csv against, and how to name it in messages. */
export interface RosterCatalog {
  apps: AppCatalog;
  /** E.g. "the shipped app catalog", "the shipped app catalog and district d1's". */
  name: string;
}

/** What one roster load works on. */
export interface LoadContext {
  dir: string;
  entries: string[];
  data: RosterData;
  report: RosterReport;
  renames: ColumnRenames;
  catalog: RosterCatalog;
}

/** What a reader gets with each row besides its values. */
export interface RowContext {
  /** Reports a problem that keeps the row (file and line added). */
  warn: (field: string, message: string) => void;
  /** The order of this file's slash dates, decided once for the whole file (date-order.ts). */
  slashOrder: SlashOrder;
}

/** Reads one file's rows. */
export interface FileReader {
  /** Standard file name (found ignoring case). */
  file: string;
  /** Header rules; none = the header is not checked. */
  columns?: ColumnRules;
  /** Columns whose dates the load uses: their slash dates get one order for the file. */
  dates?: DateColumns;
  /**
   * Handles one row: throw FieldError to reject it, return 'deleted' for a row left out on purpose
   * (`tobedeleted`), call `row.warn` for a problem that keeps the row.
   */
  row(values: Values, row: RowContext): 'kept' | 'deleted';
}

/** Finds a file in the folder by name, ignoring case (exports spell `userProfiles.csv` both ways). */
export function findFile(dir: string, entries: readonly string[], name: string): string | null {
  const hit = entries.find((e) => e.toLowerCase() === name.toLowerCase());
  return hit ? path.join(dir, hit) : null;
}

export function newSummary(file: string): FileSummary {
  return { file, rows: 0, kept: 0, excluded: 0, rejected: 0 };
}

/** An explicit rename that names no column of the file is an error: the user meant something else. */
function checkRenames(name: string, renames: ReadonlyMap<string, string> | undefined, columns: HeaderColumn[]) {
  const issues: RosterIssue[] = [];
  const written = new Set(columns.map((c) => normalizeHeader(c.raw)));
  for (const from of renames?.keys() ?? []) {
    if (!written.has(from))
      issues.push({
        file: name,
        field: from,
        severity: 'error',
        scope: 'file',
        message: `--rename names column "${from}", which ${name} does not have`,
      });
  }
  return issues;
}

/**
 * How a file's header is read: explicit renames, and the reader's column checks (whose issues go to
 * `onIssues`; the renames they find apply either way).
 */
function headerReading(
  name: string,
  reader: FileReader,
  renames: ReadonlyMap<string, string> | undefined,
  onIssues: (issues: RosterIssue[]) => void,
): CsvReadOptions {
  const onHeader = (columns: HeaderColumn[]) => {
    onIssues(checkRenames(name, renames, columns));
    if (!reader.columns) return undefined;
    const check = checkColumns(name, reader.columns, columns, (from, to) => `--rename ${name}:${from}=${to}`);
    onIssues(check.issues);
    return check.renames;
  };
  return { ...(renames ? { renames } : {}), onHeader };
}

/** The order of the file's slash dates (a first pass when the reader has date columns). */
async function slashOrderOf(
  ctx: LoadContext,
  file: string,
  reader: FileReader,
  csv: CsvReadOptions,
): Promise<SlashOrder> {
  if (!reader.dates) return 'mdy';
  const { order, issues } = await fileSlashOrder(file, path.basename(file), reader.dates, csv);
  ctx.report.issues.push(...issues);
  return order;
}

/**
 * Reads the file `reader.file` of the folder (or `filePath` when given): checks its header, then
 * hands each row to the reader. Bad rows are reported (file, line, field) and skipped; the rows
 * beside them are kept. Returns false when the file is not there (noted in `missingFiles` unless
 * `optional`).
 */
export async function readRosterFile(
  ctx: LoadContext,
  reader: FileReader,
  opts: { filePath?: string | null; optional?: boolean } = {},
): Promise<boolean> {
  const file = opts.filePath !== undefined ? opts.filePath : findFile(ctx.dir, ctx.entries, reader.file);
  if (!file) {
    if (!opts.optional) ctx.report.missingFiles.push(reader.file);
    return false;
  }
  const name = path.basename(file);
  const summary = newSummary(name);
  ctx.report.files.push(summary);
  const onIssue = (issue: RosterIssue) => {
    ctx.report.issues.push(issue);
    if (issue.severity === 'error' && issue.scope !== 'file') summary.rejected++;
  };
  const renames = ctx.renames.get(name.toLowerCase());
  const slashOrder = await slashOrderOf(
    ctx,
    file,
    reader,
    headerReading(name, reader, renames, () => undefined),
  );
  const csv = headerReading(name, reader, renames, (issues) => ctx.report.issues.push(...issues));
  for await (const row of readCsvRows(file, name, onIssue, csv)) {
    const warn = (field: string, message: string) =>
      ctx.report.issues.push({ file: name, line: row.line, field, severity: 'warning', message });
    try {
      if (reader.row(row.values, { warn, slashOrder }) === 'deleted') summary.excluded++;
      else summary.kept++;
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      onIssue({ file: name, line: row.line, field: err.field, severity: 'error', message: err.message });
    }
  }
  // Rows rejected before the reader saw them (an unclosed quote, extra fields) are counted by onIssue.
  summary.rows = summary.kept + summary.excluded + summary.rejected;
  return true;
}

/**
 * A reader that stores each parsed record in `target` under its key; a second row with the same
 * key is rejected (the first is kept).
 */
export function intoMap<T>(spec: {
  file: string;
  columns?: ColumnRules;
  target: Map<string, T>;
  /** Columns whose dates the load uses (FileReader.dates). */
  dates?: DateColumns;
  /** Throws FieldError for a bad row; 'deleted' for an excluded one. */
  parse: (v: Values, row: RowContext) => T | 'deleted';
  key: (rec: T) => string;
  /** Field and message for a second row with the same key. */
  duplicate: (key: string) => FieldError;
}): FileReader {
  return {
    file: spec.file,
    ...(spec.columns ? { columns: spec.columns } : {}),
    ...(spec.dates ? { dates: spec.dates } : {}),
    row(values, row) {
      const rec = spec.parse(values, row);
      if (rec === 'deleted') return 'deleted';
      const key = spec.key(rec);
      if (spec.target.has(key)) throw spec.duplicate(key);
      spec.target.set(key, rec);
      return 'kept';
    },
  };
}
