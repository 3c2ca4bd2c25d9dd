import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AppCatalog, loadShippedCatalog } from '../catalog/catalog';
import { normalizeHeader, peekHeader, type RosterIssue } from './csv';
import { loadCourseApps, loadNetworks } from './extensions';
import {
  findFile,
  type ColumnRenames,
  type LoadContext,
  type RosterCatalog,
  type RosterFormat,
  type RosterReport,
} from './load-file';
import { emptyRoster, type RosterData } from './model';
import { loadOneRoster } from './oneroster';
import { loadSds } from './sds';
import { loadSdsV1 } from './sds-v1';

export type { RosterIssue } from './csv';
export type { FileSummary, RosterFormat, RosterReport, ColumnRenames, RosterCatalog } from './load-file';

export interface RosterDirOptions {
  /** course_apps.csv to use instead of the one in the folder. */
  courseAppsFile?: string;
  /** networks.json to use instead of the one in the folder. */
  networksFile?: string;
  /** Format of the folder; default: detected from its files and headers. */
  format?: RosterFormat;
  /** Columns to read under another name, per file (`--rename users.csv:orgs=orgSourcedIds`). */
  renames?: ColumnRenames;
  /** The app catalog course_apps.csv is checked against; default: the shipped one. */
  catalog?: RosterCatalog;
}

/** The shipped app catalog, for loads that are given no district's. */
export function shippedRosterCatalog(): RosterCatalog {
  return { apps: new AppCatalog(loadShippedCatalog()), name: 'the shipped app catalog' };
}

export interface RosterLoadResult {
  data: RosterData;
  report: RosterReport;
}

export const ROSTER_FORMATS: readonly RosterFormat[] = ['oneroster', 'sds', 'sds-v1'];

const SDS_V1_FILES = [
  'School.csv',
  'Section.csv',
  'Student.csv',
  'Teacher.csv',
  'StudentEnrollment.csv',
  'TeacherRoster.csv',
];

/**
 * Tells OneRoster from Microsoft SDS by the file set and headers: SDS v1 by its file names; SDS v2/v2.1
 * by enrollments.csv or roles.csv without a sourcedId column (OneRoster requires one) or users.csv
 * with activeDirectoryMatchId; a manifest.csv means OneRoster.
 */
export function detectFormat(dir: string, entries: readonly string[]): { format: RosterFormat; reason: string } {
  const has = (name: string) => findFile(dir, entries, name);
  const v1 = SDS_V1_FILES.filter((f) => has(f));
  if (v1.length > 0) return { format: 'sds-v1', reason: `the folder has ${v1.join(', ')}` };
  if (has('manifest.csv')) return { format: 'oneroster', reason: 'the folder has a manifest.csv' };
  const enrollments = peekHeader(has('enrollments.csv'));
  if (enrollments.length > 0 && !enrollments.includes('sourcedid') && enrollments.includes('classsourcedid'))
    return { format: 'sds', reason: 'enrollments.csv has no sourcedId column' };
  const roles = peekHeader(has('roles.csv'));
  if (roles.length > 0 && !roles.includes('sourcedid'))
    return { format: 'sds', reason: 'roles.csv has no sourcedId column' };
  if (peekHeader(has('users.csv')).includes('activedirectorymatchid'))
    return { format: 'sds', reason: 'users.csv has activeDirectoryMatchId' };
  return { format: 'oneroster', reason: 'OneRoster file names and columns' };
}

/** File names per format, for messages about cross-file references. */
const FILE_NAMES: Record<RosterFormat, { classes: string; users: string; courses: string; enrollments: string }> = {
  oneroster: { classes: 'classes.csv', users: 'users.csv', courses: 'courses.csv', enrollments: 'enrollments.csv' },
  sds: { classes: 'classes.csv', users: 'users.csv', courses: 'courses.csv', enrollments: 'enrollments.csv' },
  'sds-v1': {
    classes: 'Section.csv',
    users: 'Student.csv/Teacher.csv',
    courses: 'Section.csv',
    enrollments: 'StudentEnrollment.csv/TeacherRoster.csv',
  },
};

/** Cross-file references that do not resolve are reported as warnings (the rows are kept). */
function checkReferences(data: RosterData, report: RosterReport): void {
  const MAX = 50;
  const names = FILE_NAMES[report.format];
  let n = 0;
  const warn = (file: string, field: string, message: string) => {
    if (n++ < MAX) report.issues.push({ file, field, severity: 'warning', message });
  };
  for (const e of data.enrollments.values()) {
    if (data.classes.size > 0 && !data.classes.has(e.classSourcedId)) {
      warn(
        names.enrollments,
        'classSourcedId',
        `enrollment "${e.sourcedId}" names class "${e.classSourcedId}", which is not in ${names.classes}`,
      );
    }
    if (data.users.size > 0 && !data.users.has(e.userSourcedId)) {
      warn(
        names.enrollments,
        'userSourcedId',
        `enrollment "${e.sourcedId}" names user "${e.userSourcedId}", which is not in ${names.users}`,
      );
    }
  }
  for (const c of data.classes.values()) {
    if (c.courseSourcedId && data.courses.size > 0 && !data.courses.has(c.courseSourcedId)) {
      warn(
        names.classes,
        'courseSourcedId',
        `class "${c.sourcedId}" names course "${c.courseSourcedId}", which is not in ${names.courses}`,
      );
    }
  }
  if (n > MAX)
    report.issues.push({
      file: '(roster)',
      severity: 'warning',
      message: `${n - MAX} more unresolved references not listed`,
    });
}

/**
 * Reads a roster folder: OneRoster 1.0/1.1/1.2 bulk CSV or Microsoft SDS (v1, v2, v2.1) CSV, plus the
 * district extensions `course_apps.csv` and `networks.json`. When the folder has no roster CSVs but a
 * `oneroster/` sub-folder, the CSVs are read from there and the extensions from the folder. Headers
 * are checked (file-level issues); bad rows are reported (file, line, field, reason) and skipped,
 * the good rows beside them kept.
 */
export async function loadRosterDir(rootDir: string, opts: RosterDirOptions = {}): Promise<RosterLoadResult> {
  if (!existsSync(rootDir)) throw new Error(`roster folder "${rootDir}" does not exist`);
  let dir = rootDir;
  let entries = readdirSync(dir);
  // Layout of the sample generator (and a common one): CSVs in <dir>/oneroster/, extensions in <dir>.
  const rootEntries = entries;
  const nested = entries.find((e) => e.toLowerCase() === 'oneroster');
  if (nested && !findFile(dir, entries, 'users.csv') && !findFile(dir, entries, 'orgs.csv')) {
    dir = path.join(rootDir, nested);
    entries = readdirSync(dir);
  }
  const extension = (name: string, given: string | undefined): string | null => {
    if (given) {
      if (!existsSync(given)) throw new Error(`${name} file "${given}" does not exist`);
      return given;
    }
    return findFile(dir, entries, name) ?? findFile(rootDir, rootEntries, name);
  };
  const format = opts.format ?? detectFormat(dir, entries).format;
  const report: RosterReport = {
    format,
    formatVersion: null,
    onerosterVersion: null,
    deltaFiles: [],
    files: [],
    issues: [],
    missingFiles: [],
  };
  const ctx: LoadContext = {
    dir,
    entries,
    data: emptyRoster(),
    report,
    renames: opts.renames ?? new Map(),
    catalog: opts.catalog ?? shippedRosterCatalog(),
  };
  if (format === 'oneroster') await loadOneRoster(ctx);
  else if (format === 'sds') await loadSds(ctx);
  else await loadSdsV1(ctx);
  await loadCourseApps(ctx, extension('course_apps.csv', opts.courseAppsFile));
  loadNetworks(ctx, extension('networks.json', opts.networksFile));
  checkReferences(ctx.data, report);
  return { data: ctx.data, report };
}

/**
 * Parses `--rename` values `<file>:<column>=<new name>` (e.g. `users.csv:orgs=orgSourcedIds`).
 * Names are matched ignoring case, as columns are.
 */
export function parseColumnRenames(specs: readonly string[]): ColumnRenames {
  const renames = new Map<string, Map<string, string>>();
  for (const spec of specs) {
    const m = /^([^:]+):(.+)=(.+)$/.exec(spec);
    if (!m || !m[1] || !m[2] || !m[3])
      throw new Error(`--rename "${spec}" is not <file>:<column>=<new name> (e.g. users.csv:orgs=orgSourcedIds)`);
    const file = m[1].trim().toLowerCase();
    const perFile = renames.get(file) ?? new Map<string, string>();
    perFile.set(normalizeHeader(m[2]), normalizeHeader(m[3]));
    renames.set(file, perFile);
  }
  return renames;
}

/**
 * The file-level problems that stop an import: every file-level error, and the file-level warnings
 * unless they are accepted (`--accept-warnings`). Row-level problems never stop it.
 */
export function importBlockers(report: RosterReport, acceptWarnings: boolean): RosterIssue[] {
  return report.issues.filter((i) => i.scope === 'file' && (i.severity === 'error' || !acceptWarnings));
}

const FORMAT_NAMES: Record<RosterFormat, string> = {
  oneroster: 'OneRoster',
  sds: 'Microsoft SDS',
  'sds-v1': 'Microsoft SDS',
};

function where(i: RosterIssue): string {
  return [i.file, i.line !== undefined ? `line ${i.line}` : null, i.field ? `field ${i.field}` : null]
    .filter(Boolean)
    .join(', ');
}

/** One issue as the reports print it. */
export function formatIssue(i: RosterIssue): string {
  const label =
    i.scope === 'file'
      ? i.severity === 'error'
        ? 'FILE ERR'
        : 'FILE WARN'
      : i.severity === 'error'
        ? 'REJECTED'
        : 'warning ';
  return `  ${label} ${where(i)}: ${i.message}`;
}

/** What a file-level problem means for the import, in one line. */
function fileLevelSummary(fileLevel: RosterIssue[], acceptWarnings: boolean): string {
  const errors = fileLevel.filter((i) => i.severity === 'error').length;
  const warnings = fileLevel.length - errors;
  const counts = `${errors} file-level error(s), ${warnings} file-level warning(s)`;
  if (errors === 0 && acceptWarnings) return `${counts}: accepted (--accept-warnings)`;
  return (
    `${counts}: the import refuses this roster until the errors are fixed (or the columns renamed with --rename)` +
    (warnings > 0 ? ' and the warnings fixed or accepted (--accept-warnings)' : '')
  );
}

/** A short human-readable summary of a load (what the import and check commands print). */
export function formatRosterReport(report: RosterReport, maxIssues = 100, acceptWarnings = false): string {
  const lines: string[] = [];
  lines.push(`format: ${FORMAT_NAMES[report.format]} ${report.formatVersion ?? ''}`.trimEnd());
  if (report.onerosterVersion) lines.push(`OneRoster version (manifest): ${report.onerosterVersion}`);
  lines.push('file                      rows   kept  excluded(tobedeleted)  rejected');
  for (const f of report.files) {
    lines.push(
      `${f.file.padEnd(24)} ${String(f.rows).padStart(6)} ${String(f.kept).padStart(6)} ${String(f.excluded).padStart(10)} ${String(f.rejected).padStart(19)}`,
    );
  }
  if (report.missingFiles.length > 0) lines.push(`not present (optional): ${report.missingFiles.join(', ')}`);
  if (report.deltaFiles.length > 0) lines.push(`manifest marks as delta: ${report.deltaFiles.join(', ')}`);
  const fileLevel = report.issues.filter((i) => i.scope === 'file');
  const rowLevel = report.issues.filter((i) => i.scope !== 'file');
  const rowErrors = rowLevel.filter((i) => i.severity === 'error');
  const rowWarnings = rowLevel.filter((i) => i.severity === 'warning');
  if (fileLevel.length > 0) lines.push(fileLevelSummary(fileLevel, acceptWarnings));
  lines.push(`${rowErrors.length} rejected row(s), ${rowWarnings.length} warning(s)`);
  const ordered = [...fileLevel, ...rowErrors, ...rowWarnings];
  for (const i of ordered.slice(0, maxIssues)) lines.push(formatIssue(i));
  if (ordered.length > maxIssues) lines.push(`  ... ${ordered.length - maxIssues} more`);
  return lines.join('\n');
}
