import path from 'node:path';
import { queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { parseApproval, APPROVAL_COLUMNS, REQUIRED_APPROVAL_COLUMNS, type ApprovalRecord } from './approval-rows';
import { readCsvRecords, unreadableRows, type ColumnSpec, type CsvRecord, type RowIssue } from './csv-records';
import { FirstLines } from './first-lines';
import { unknownApps, type AppRows } from './known-apps';
import { LICENSE_COLUMNS, parseLicense, REQUIRED_LICENSE_COLUMNS, type LicenseRecord } from './license-rows';
import { newVersion, VersionWriter, type ImportKind } from './store';

export interface ImportResult {
  kind: ImportKind;
  districtId: string;
  file: string;
  /** Set when the import replaced the district's inventory; null for a check or a refused file. */
  version: string | null;
  accepted: number;
  rejected: number;
  issues: RowIssue[];
  /**
   * Accepted rows that will likely not count as meant, e.g. a scope that is no school of the current
   * roster; line 0: the import's own (its older versions could not all be dropped).
   */
  warnings: RowIssue[];
  /** Why nothing was written (missing columns, no valid row); null when accepted. */
  refused: string | null;
}

export class ImportRefusedError extends Error {}

type Parse<T> = (
  values: Map<string, string>,
) => { ok: true; value: T; key: string } | { ok: false; issues: { field: string; message: string }[] };

interface Format<T> {
  kind: ImportKind;
  columns: ColumnSpec;
  required: readonly string[];
  parse: (districtId: string) => Parse<T>;
  /** The school a row is scoped to ('' = none), checked against the current roster. */
  schoolOf?: (row: T) => string;
  /** The app a row is for, checked against the app catalog and the district's usage. */
  appOf?: (row: T) => string;
}

const LICENSES: Format<LicenseRecord> = {
  kind: 'licenses',
  columns: LICENSE_COLUMNS,
  required: REQUIRED_LICENSE_COLUMNS,
  parse: (districtId) => (values) => {
    const r = parseLicense(values, districtId);
    return r.ok ? { ok: true, value: r.license, key: r.license.license_id } : r;
  },
  schoolOf: (l) => l.school_id,
  appOf: (l) => l.app_id,
};

const APPROVALS: Format<ApprovalRecord> = {
  kind: 'approvals',
  columns: APPROVAL_COLUMNS,
  required: REQUIRED_APPROVAL_COLUMNS,
  parse: () => (values) => {
    const r = parseApproval(values);
    return r.ok ? { ok: true, value: r.approval, key: r.approval.app_id } : r;
  },
};

/**
 * Reads the file (streamed), reports every bad row with its line and field and skips it, and with
 * `ch` writes the good rows as a new version that replaces the district's current one in one step.
 * A file whose required columns are missing, or with no valid row at all, changes nothing.
 */
async function importFile<T extends object>(
  format: Format<T>,
  ch: ClickHouseClient | null,
  districtId: string,
  file: string,
): Promise<ImportResult> {
  const name = path.basename(file);
  const issues: RowIssue[] = [];
  let refused: string | null = null;
  const onHeader = (present: Set<string>, repeated: string[]) => {
    const missing = format.required.filter((f) => !present.has(f));
    if (missing.length > 0) {
      const names = missing.map((f) => `${f} (${(format.columns[f] ?? []).join(' / ')})`);
      refused = `missing required column(s): ${names.join(', ')}`;
    } else if (repeated.length > 0) refused = `column(s) given twice: ${repeated.join(', ')}`;
    if (refused) issues.push({ file: name, line: 1, message: refused });
  };
  const writer = ch ? new VersionWriter<T>(ch, format.kind, districtId, newVersion()) : null;
  const parse = format.parse(districtId);
  const seen = new FirstLines();
  const schools = new Map<string, number[]>();
  // Per app only its first line and row count: a big inventory keeps one entry per distinct app.
  const apps = new Map<string, AppRows>();
  let accepted = 0;
  let rejected = 0;
  try {
    const records: AsyncIterable<CsvRecord> = readCsvRecords(file, format.columns, onHeader, issues);
    for await (const rec of records) {
      if (refused) break;
      const r = parse(rec.values);
      if (!r.ok) {
        rejected++;
        for (const i of r.issues) issues.push({ file: name, line: rec.line, field: i.field, message: i.message });
        continue;
      }
      const first = seen.get(r.key);
      if (first !== undefined) {
        rejected++;
        issues.push({
          file: name,
          line: rec.line,
          field: format.kind === 'licenses' ? 'license_id' : 'app',
          message: `${r.key} already given on line ${first}`,
        });
        continue;
      }
      seen.set(r.key, rec.line);
      const school = format.schoolOf?.(r.value) ?? '';
      if (school !== '') addLine(schools, school, rec.line);
      const app = format.appOf?.(r.value);
      if (app !== undefined) {
        const rows = apps.get(app);
        if (rows) rows.count++;
        else apps.set(app, { first: rec.line, count: 1 });
      }
      accepted++;
      await writer?.add(r.value);
    }
    // CSV syntax errors (reported by the parser) are rows lost too.
    rejected += unreadableRows(issues);
    if (!refused && accepted === 0) refused = 'no valid row: the current inventory stays as it is';
    if (refused) {
      await writer?.abandon();
      return {
        kind: format.kind,
        districtId,
        file,
        version: null,
        accepted: 0,
        rejected,
        issues,
        warnings: [],
        refused,
      };
    }
    const warnings = ch
      ? [...(await unknownSchools(ch, districtId, name, schools)), ...(await unknownApps(ch, districtId, name, apps))]
      : [];
    if (!writer)
      return { kind: format.kind, districtId, file, version: null, accepted, rejected, issues, warnings, refused };
    const { cleanup } = await writer.commit({ sourceFile: name, rejectedRows: rejected });
    if (cleanup) warnings.push({ file: name, line: 0, message: cleanup });
    return {
      kind: format.kind,
      districtId,
      file,
      version: writer.version,
      accepted,
      rejected,
      issues,
      warnings,
      refused,
    };
  } catch (err) {
    await writer?.abandon().catch(() => undefined);
    throw err;
  }
}

function addLine(byKey: Map<string, number[]>, key: string, line: number): void {
  const lines = byKey.get(key);
  if (lines) lines.push(line);
  else byKey.set(key, [line]);
}

/** A warning per row scoped to a school the district's current roster does not have (nobody would be eligible). */
async function unknownSchools(
  ch: ClickHouseClient,
  districtId: string,
  file: string,
  schools: Map<string, number[]>,
): Promise<RowIssue[]> {
  if (schools.size === 0) return [];
  const known = await queryRows<{ school_id: string }>(
    ch,
    `SELECT school_id FROM dim_schools_current WHERE district_id = ${sqlString(districtId)}`,
  );
  const have = new Set(known.map((k) => k.school_id));
  return [...schools]
    .filter(([school]) => !have.has(school) && school !== districtId)
    .flatMap(([school, lines]) =>
      lines.map((line) => ({
        file,
        line,
        field: 'scope',
        message: `${school} is neither the district nor a school of its current roster: no one is eligible`,
      })),
    );
}

/** Imports (ch given) or only checks (ch null) a license inventory CSV. */
export const importLicenses = (ch: ClickHouseClient | null, districtId: string, file: string) =>
  importFile(LICENSES, ch, districtId, file);

/** Imports (ch given) or only checks (ch null) an app approvals CSV. */
export const importApprovals = (ch: ClickHouseClient | null, districtId: string, file: string) =>
  importFile(APPROVALS, ch, districtId, file);

/** The import's summary and every issue, one per line, for a terminal. */
export function formatImportResult(r: ImportResult): string {
  const lines = r.issues.map((i) => `${i.file}:${i.line}${i.field ? ` ${i.field}` : ''}: ${i.message}`);
  for (const w of r.warnings) lines.push(`${w.file}:${w.line}${w.field ? ` ${w.field}` : ''}: warning: ${w.message}`);
  if (r.refused) lines.push(`refused: ${r.refused} (nothing written)`);
  else
    lines.push(
      `${r.kind} of district ${r.districtId}: ${r.accepted} rows accepted, ${r.rejected} rejected` +
        (r.version ? `; now current as version ${r.version}` : ' (checked only, nothing written)'),
    );
  return lines.join('\n');
}
