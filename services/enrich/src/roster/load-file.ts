import path from 'node:path';
import { checkColumns, type ColumnRules } from './columns';
import { normalizeHeader, readCsvRows, type HeaderColumn, type RosterIssue } from './csv';
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

/** What one roster load works on. */
export interface LoadContext {
  dir: string;
  entries: string[];
  data: RosterData;
  report: RosterReport;
  renames: ColumnRenames;
}

/** Reads one file's rows. */
export interface FileReader {
  /** Standard file name (found ignoring case). */
  file: string;
  /** Header rules; none = the header is not checked. */
  columns?: ColumnRules;
  /**
   * Handles one row: throw FieldError to reject it, return 'deleted' for a row left out on purpose
   * (`tobedeleted`), call `warn` for a problem that keeps the row.
   */
  row(values: Values, warn: (field: string, message: string) => void): 'kept' | 'deleted';
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
    if (issue.severity === 'error') summary.rejected++;
  };
  const renames = ctx.renames.get(name.toLowerCase());
  const onHeader = (columns: HeaderColumn[]) => {
    ctx.report.issues.push(...checkRenames(name, renames, columns));
    if (!reader.columns) return undefined;
    const check = checkColumns(name, reader.columns, columns, (from, to) => `--rename ${name}:${from}=${to}`);
    ctx.report.issues.push(...check.issues);
    return check.renames;
  };
  for await (const row of readCsvRows(file, name, onIssue, { ...(renames ? { renames } : {}), onHeader })) {
    const warn = (field: string, message: string) =>
      ctx.report.issues.push({ file: name, line: row.line, field, severity: 'warning', message });
    try {
      if (reader.row(row.values, warn) === 'deleted') summary.excluded++;
      else summary.kept++;
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      onIssue({ file: name, line: row.line, field: err.field, severity: 'error', message: err.message });
    }
  }
  // Rows the CSV parser could not read are counted by onIssue but never reach the loop.
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
  /** Throws FieldError for a bad row; 'deleted' for an excluded one. */
  parse: (v: Values, warn: (field: string, message: string) => void) => T | 'deleted';
  key: (rec: T) => string;
  /** Field and message for a second row with the same key. */
  duplicate: (key: string) => FieldError;
}): FileReader {
  return {
    file: spec.file,
    ...(spec.columns ? { columns: spec.columns } : {}),
    row(values, warn) {
      const rec = spec.parse(values, warn);
      if (rec === 'deleted') return 'deleted';
      const key = spec.key(rec);
      if (spec.target.has(key)) throw spec.duplicate(key);
      spec.target.set(key, rec);
      return 'kept';
    },
  };
}
