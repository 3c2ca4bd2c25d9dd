import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readCsvRows, type RosterIssue } from './csv';
import { parseRosterDate } from './dates';
import {
  emptyRoster,
  type ClassRecord,
  type CourseRecord,
  type EnrollmentRecord,
  type OrgRecord,
  type RosterData,
  type RosterStatus,
  type SessionRecord,
  type UserRecord,
} from './model';
import { parseCidr } from '../enrich/network';

export type { RosterIssue } from './csv';

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

export interface RosterReport {
  /** `oneroster.version` from manifest.csv, when present. */
  onerosterVersion: string | null;
  /** Entities the manifest marks as `delta` (a delta file is not a full roster). */
  deltaFiles: string[];
  files: FileSummary[];
  issues: RosterIssue[];
  /** Standard files not present in the folder (all optional here). */
  missingFiles: string[];
}

export interface RosterDirOptions {
  /** course_apps.csv to use instead of the one in the folder. */
  courseAppsFile?: string;
  /** networks.json to use instead of the one in the folder. */
  networksFile?: string;
}

export interface RosterLoadResult {
  data: RosterData;
  report: RosterReport;
}

class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

type Values = Map<string, string>;

function opt(v: Values, ...names: string[]): string {
  for (const n of names) {
    const x = v.get(n.toLowerCase());
    if (x !== undefined && x !== '') return x;
  }
  return '';
}

function req(v: Values, name: string, ...aliases: string[]): string {
  const x = opt(v, name, ...aliases);
  if (x === '') throw new FieldError(name, `${name} is required`);
  return x;
}

function nullable(s: string): string | null {
  return s === '' ? null : s;
}

function list(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

function date(v: Values, field: string): string | null {
  const raw = opt(v, field);
  if (raw === '') return null;
  const d = parseRosterDate(raw);
  if (d === null)
    throw new FieldError(
      field,
      `${field} "${raw}" is not a date (YYYY-MM-DD, YYYY-MM-DD hh:mm:ss, ISO 8601 or DD/MM/YYYY)`,
    );
  return d;
}

/** Status: '' or active/inactive (any case); `tobedeleted` → 'deleted'; anything else is an error. */
function status(v: Values): RosterStatus | 'deleted' {
  const s = opt(v, 'status').toLowerCase();
  if (s === '' || s === 'active' || s === 'inactive') return s;
  if (s === 'tobedeleted') return 'deleted';
  throw new FieldError('status', `status "${s}" is not active, inactive or tobedeleted`);
}

function bool(s: string): boolean {
  return /^(true|1|yes|y)$/i.test(s.trim());
}

/** dateLastModified is not used, but a value that is not a date is worth a warning. */
function checkModified(v: Values): string | null {
  const raw = opt(v, 'datelastmodified');
  if (raw === '' || parseRosterDate(raw) !== null) return null;
  return `dateLastModified "${raw}" is not a date (ignored)`;
}

interface EntitySpec<T extends { sourcedId: string }> {
  file: string;
  target: (data: RosterData) => Map<string, T>;
  /** Builds the record from a row whose common columns (sourcedId, status) are already read. */
  parse: (v: Values, common: { sourcedId: string; status: RosterStatus }) => T;
}

/** The columns every entity has: status (`tobedeleted` rows are excluded) and sourcedId, then the rest. */
function parseEntityRow<T extends { sourcedId: string }>(spec: EntitySpec<T>, v: Values): T | 'deleted' {
  const st = status(v);
  const sourcedId = req(v, 'sourcedId');
  if (st === 'deleted') return 'deleted';
  return spec.parse(v, { sourcedId, status: st });
}

const orgsSpec: EntitySpec<OrgRecord> = {
  file: 'orgs.csv',
  target: (d) => d.orgs,
  parse(v, { sourcedId, status: st }) {
    return {
      sourcedId,
      status: st,
      name: opt(v, 'name'),
      type: opt(v, 'type').toLowerCase(),
      parentSourcedId: nullable(opt(v, 'parentsourcedid')),
    };
  },
};

const usersSpec: EntitySpec<UserRecord> = {
  file: 'users.csv',
  target: (d) => d.users,
  parse(v, { sourcedId, status: st }) {
    const email = opt(v, 'email');
    if (email !== '' && !email.includes('@')) throw new FieldError('email', `email "${email}" has no @`);
    const orgs = list(opt(v, 'orgsourcedids'));
    const primaryOrg = opt(v, 'primaryorgsourcedid');
    if (primaryOrg !== '' && !orgs.includes(primaryOrg)) orgs.unshift(primaryOrg);
    const enabled = opt(v, 'enableduser');
    return {
      sourcedId,
      status: st,
      enabled: enabled === '' ? true : bool(enabled),
      role: opt(v, 'role'),
      username: nullable(opt(v, 'username')),
      email: nullable(email),
      orgSourcedIds: orgs,
      grades: list(opt(v, 'grades', 'grade')),
    };
  },
};

const classesSpec: EntitySpec<ClassRecord> = {
  file: 'classes.csv',
  target: (d) => d.classes,
  parse(v, { sourcedId, status: st }) {
    return {
      sourcedId,
      status: st,
      title: opt(v, 'title'),
      courseSourcedId: nullable(opt(v, 'coursesourcedid')),
      schoolSourcedId: nullable(opt(v, 'schoolsourcedid')),
      classType: opt(v, 'classtype').toLowerCase(),
      grades: list(opt(v, 'grades', 'grade')),
      termSourcedIds: list(opt(v, 'termsourcedids', 'termsourcedid')),
    };
  },
};

const coursesSpec: EntitySpec<CourseRecord> = {
  file: 'courses.csv',
  target: (d) => d.courses,
  parse(v, { sourcedId, status: st }) {
    return {
      sourcedId,
      status: st,
      title: opt(v, 'title'),
      courseCode: opt(v, 'coursecode'),
      orgSourcedId: nullable(opt(v, 'orgsourcedid')),
      grades: list(opt(v, 'grades', 'grade')),
    };
  },
};

const enrollmentsSpec: EntitySpec<EnrollmentRecord> = {
  file: 'enrollments.csv',
  target: (d) => d.enrollments,
  parse(v, { sourcedId, status: st }) {
    const beginDate = date(v, 'beginDate');
    const endDate = date(v, 'endDate');
    if (beginDate && endDate && endDate < beginDate) {
      throw new FieldError('endDate', `endDate ${endDate} is before beginDate ${beginDate}`);
    }
    return {
      sourcedId,
      status: st,
      classSourcedId: req(v, 'classSourcedId'),
      schoolSourcedId: nullable(opt(v, 'schoolsourcedid')),
      userSourcedId: req(v, 'userSourcedId'),
      role: opt(v, 'role'),
      primary: bool(opt(v, 'primary')),
      beginDate,
      endDate,
    };
  },
};

const sessionsSpec: EntitySpec<SessionRecord> = {
  file: 'academicSessions.csv',
  target: (d) => d.sessions,
  parse(v, { sourcedId, status: st }) {
    return {
      sourcedId,
      status: st,
      title: opt(v, 'title'),
      type: opt(v, 'type'),
      startDate: date(v, 'startDate'),
      endDate: date(v, 'endDate'),
      parentSourcedId: nullable(opt(v, 'parentsourcedid')),
      schoolYear: nullable(opt(v, 'schoolyear')),
    };
  },
};

/** Finds a file in `dir` by name, ignoring case (exports spell `userProfiles.csv` both ways). */
function findFile(dir: string, entries: string[], name: string): string | null {
  const hit = entries.find((e) => e.toLowerCase() === name.toLowerCase());
  return hit ? path.join(dir, hit) : null;
}

async function loadEntity<T extends { sourcedId: string }>(
  dir: string,
  entries: string[],
  spec: EntitySpec<T>,
  data: RosterData,
  report: RosterReport,
): Promise<void> {
  const file = findFile(dir, entries, spec.file);
  if (!file) {
    report.missingFiles.push(spec.file);
    return;
  }
  const name = path.basename(file);
  const summary: FileSummary = {
    file: name,
    rows: 0,
    kept: 0,
    excluded: 0,
    rejected: 0,
  };
  report.files.push(summary);
  const target = spec.target(data);
  const onIssue = (issue: RosterIssue) => {
    report.issues.push(issue);
    if (issue.severity === 'error') summary.rejected++;
  };
  for await (const row of readCsvRows(file, name, onIssue)) {
    summary.rows++;
    let rec: T | 'deleted';
    try {
      rec = parseEntityRow(spec, row.values);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      onIssue({
        file: name,
        line: row.line,
        field: err.field,
        severity: 'error',
        message: err.message,
      });
      continue;
    }
    if (rec === 'deleted') {
      summary.excluded++;
      continue;
    }
    if (target.has(rec.sourcedId)) {
      onIssue({
        file: name,
        line: row.line,
        field: 'sourcedId',
        severity: 'error',
        message: `duplicate sourcedId "${rec.sourcedId}" (first row kept)`,
      });
      continue;
    }
    const warning = checkModified(row.values);
    if (warning)
      report.issues.push({
        file: name,
        line: row.line,
        field: 'dateLastModified',
        severity: 'warning',
        message: warning,
      });
    target.set(rec.sourcedId, rec);
    summary.kept++;
  }
  // Rows the CSV parser could not read are counted by onIssue but not in `rows`.
  summary.rows = summary.kept + summary.excluded + summary.rejected;
}

/** OneRoster 1.2 keeps roles in roles.csv: the primary role (and the orgs) are applied to the users. */
async function applyRoles(dir: string, entries: string[], data: RosterData, report: RosterReport): Promise<void> {
  const file = findFile(dir, entries, 'roles.csv');
  if (!file) return;
  const name = path.basename(file);
  const summary: FileSummary = {
    file: name,
    rows: 0,
    kept: 0,
    excluded: 0,
    rejected: 0,
  };
  report.files.push(summary);
  const onIssue = (issue: RosterIssue) => {
    report.issues.push(issue);
    if (issue.severity === 'error') summary.rejected++;
  };
  const primaryFound = new Set<string>();
  for await (const row of readCsvRows(file, name, onIssue)) {
    try {
      const st = status(row.values);
      const userId = req(row.values, 'userSourcedId');
      const role = req(row.values, 'role');
      if (st === 'deleted') {
        summary.excluded++;
        continue;
      }
      const user = data.users.get(userId);
      if (!user) {
        onIssue({
          file: name,
          line: row.line,
          field: 'userSourcedId',
          severity: 'warning',
          message: `user "${userId}" is not in users.csv (role ignored)`,
        });
        summary.kept++;
        continue;
      }
      const isPrimary = opt(row.values, 'roletype').toLowerCase() === 'primary';
      if ((isPrimary && !primaryFound.has(userId)) || user.role === '') {
        user.role = role;
        if (isPrimary) primaryFound.add(userId);
      }
      const org = opt(row.values, 'orgsourcedid');
      if (org !== '' && !user.orgSourcedIds.includes(org)) user.orgSourcedIds.push(org);
      summary.kept++;
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      onIssue({
        file: name,
        line: row.line,
        field: err.field,
        severity: 'error',
        message: err.message,
      });
    }
  }
  summary.rows = summary.kept + summary.excluded + summary.rejected;
}

/** District extension `course_apps.csv`: courseSourcedId,appId (one row per pair). */
async function loadCourseApps(file: string | null, data: RosterData, report: RosterReport): Promise<void> {
  if (!file) return;
  const name = path.basename(file);
  const summary: FileSummary = {
    file: name,
    rows: 0,
    kept: 0,
    excluded: 0,
    rejected: 0,
  };
  report.files.push(summary);
  const onIssue = (issue: RosterIssue) => {
    report.issues.push(issue);
    if (issue.severity === 'error') summary.rejected++;
  };
  for await (const row of readCsvRows(file, name, onIssue)) {
    try {
      const course = req(row.values, 'courseSourcedId');
      const app = req(row.values, 'appId').toLowerCase();
      if (!data.courses.has(course)) {
        report.issues.push({
          file: name,
          line: row.line,
          field: 'courseSourcedId',
          severity: 'warning',
          message: `course "${course}" is not in courses.csv`,
        });
      }
      const apps = data.courseApps.get(course) ?? [];
      if (!apps.includes(app)) apps.push(app);
      data.courseApps.set(course, apps);
      summary.kept++;
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      onIssue({
        file: name,
        line: row.line,
        field: err.field,
        severity: 'error',
        message: err.message,
      });
    }
  }
  summary.rows = summary.kept + summary.excluded + summary.rejected;
}

/** District extension `networks.json`: { "<school sourcedId>": ["10.1.0.0/16", ...] }. */
function loadNetworks(file: string | null, data: RosterData, report: RosterReport): void {
  if (!file) return;
  const name = path.basename(file);
  const summary: FileSummary = {
    file: name,
    rows: 0,
    kept: 0,
    excluded: 0,
    rejected: 0,
  };
  report.files.push(summary);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    report.issues.push({
      file: name,
      severity: 'error',
      message: `not valid JSON: ${(err as Error).message}`,
    });
    summary.rejected++;
    return;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    report.issues.push({
      file: name,
      severity: 'error',
      message: 'must be an object { "<school sourcedId>": ["CIDR", ...] }',
    });
    summary.rejected++;
    return;
  }
  for (const [school, value] of Object.entries(parsed as Record<string, unknown>)) {
    summary.rows++;
    const cidrs = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(cidrs)) {
      report.issues.push({
        file: name,
        field: school,
        severity: 'error',
        message: `networks of "${school}" must be a list of CIDR blocks`,
      });
      summary.rejected++;
      continue;
    }
    const good: string[] = [];
    for (const c of cidrs) {
      try {
        if (typeof c !== 'string') throw new Error(`${JSON.stringify(c)} is not a string`);
        good.push(parseCidr(c).text);
      } catch (err) {
        report.issues.push({
          file: name,
          field: school,
          severity: 'error',
          message: (err as Error).message,
        });
      }
    }
    if (!data.orgs.has(school)) {
      report.issues.push({
        file: name,
        field: school,
        severity: 'warning',
        message: `school "${school}" is not in orgs.csv`,
      });
    }
    if (good.length === 0) {
      summary.rejected++;
      continue;
    }
    data.networks.set(school, good);
    summary.kept++;
  }
}

async function readManifest(dir: string, entries: string[], report: RosterReport): Promise<void> {
  const file = findFile(dir, entries, 'manifest.csv');
  if (!file) return;
  const name = path.basename(file);
  for await (const row of readCsvRows(file, name, (i) => report.issues.push({ ...i, severity: 'warning' }))) {
    const prop = opt(row.values, 'propertyname');
    const value = opt(row.values, 'value').toLowerCase();
    if (prop === 'oneroster.version') report.onerosterVersion = opt(row.values, 'value');
    if (prop.startsWith('file.') && value === 'delta') report.deltaFiles.push(prop.slice(5));
  }
}

/** Cross-file references that do not resolve are reported as warnings (the rows are kept). */
function checkReferences(data: RosterData, report: RosterReport): void {
  const MAX = 50;
  let n = 0;
  const warn = (file: string, field: string, message: string) => {
    if (n++ < MAX) report.issues.push({ file, field, severity: 'warning', message });
  };
  for (const e of data.enrollments.values()) {
    if (data.classes.size > 0 && !data.classes.has(e.classSourcedId)) {
      warn(
        'enrollments.csv',
        'classSourcedId',
        `enrollment "${e.sourcedId}" names class "${e.classSourcedId}", which is not in classes.csv`,
      );
    }
    if (data.users.size > 0 && !data.users.has(e.userSourcedId)) {
      warn(
        'enrollments.csv',
        'userSourcedId',
        `enrollment "${e.sourcedId}" names user "${e.userSourcedId}", which is not in users.csv`,
      );
    }
  }
  for (const c of data.classes.values()) {
    if (c.courseSourcedId && data.courses.size > 0 && !data.courses.has(c.courseSourcedId)) {
      warn(
        'classes.csv',
        'courseSourcedId',
        `class "${c.sourcedId}" names course "${c.courseSourcedId}", which is not in courses.csv`,
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
 * Reads a folder of OneRoster CSV files (1.0, 1.1 or 1.2, bulk) plus the district extensions
 * `course_apps.csv` and `networks.json`. Every file is optional. When the folder has no roster CSVs
 * but a `oneroster/` sub-folder, the CSVs are read from there and the extensions from the folder. Bad rows are reported
 * (file, line, field, reason) and skipped; good rows beside them are kept.
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
  const data = emptyRoster();
  const report: RosterReport = {
    onerosterVersion: null,
    deltaFiles: [],
    files: [],
    issues: [],
    missingFiles: [],
  };
  await readManifest(dir, entries, report);
  await loadEntity(dir, entries, orgsSpec, data, report);
  await loadEntity(dir, entries, sessionsSpec, data, report);
  await loadEntity(dir, entries, coursesSpec, data, report);
  await loadEntity(dir, entries, classesSpec, data, report);
  await loadEntity(dir, entries, usersSpec, data, report);
  await applyRoles(dir, entries, data, report);
  await loadEntity(dir, entries, enrollmentsSpec, data, report);
  await loadCourseApps(extension('course_apps.csv', opts.courseAppsFile), data, report);
  loadNetworks(extension('networks.json', opts.networksFile), data, report);
  checkReferences(data, report);
  return { data, report };
}

/** A short human-readable summary of a load (what the import command prints). */
export function formatRosterReport(report: RosterReport, maxIssues = 100): string {
  const lines: string[] = [];
  if (report.onerosterVersion) lines.push(`OneRoster version (manifest): ${report.onerosterVersion}`);
  lines.push('file                      rows   kept  excluded(tobedeleted)  rejected');
  for (const f of report.files) {
    lines.push(
      `${f.file.padEnd(24)} ${String(f.rows).padStart(6)} ${String(f.kept).padStart(6)} ${String(f.excluded).padStart(10)} ${String(f.rejected).padStart(19)}`,
    );
  }
  if (report.missingFiles.length > 0) lines.push(`not present (optional): ${report.missingFiles.join(', ')}`);
  if (report.deltaFiles.length > 0) lines.push(`manifest marks as delta: ${report.deltaFiles.join(', ')}`);
  const errors = report.issues.filter((i) => i.severity === 'error');
  const warnings = report.issues.filter((i) => i.severity === 'warning');
  lines.push(`${errors.length} rejected row(s), ${warnings.length} warning(s)`);
  for (const i of [...errors, ...warnings].slice(0, maxIssues)) {
    const where = [i.file, i.line !== undefined ? `line ${i.line}` : null, i.field ? `field ${i.field}` : null]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${i.severity === 'error' ? 'REJECTED' : 'warning '} ${where}: ${i.message}`);
  }
  if (report.issues.length > maxIssues) lines.push(`  ... ${report.issues.length - maxIssues} more`);
  return lines.join('\n');
}
