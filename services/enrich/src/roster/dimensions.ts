import {
  command,
  insertRows,
  queryRows,
  sqlIdentifier,
  sqlString,
  utcDateTime,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import type { RosterData } from './model';
import { RosterIndex, enrollmentSchools, mapRole, schoolOn, type DateSpan, type IndexedPerson } from './roster-index';

export const DIMENSION_TABLES = ['dim_schools', 'dim_classes', 'dim_people', 'dim_enrollments'] as const;

export interface DimensionRows {
  dim_schools: object[];
  dim_classes: object[];
  dim_people: object[];
  dim_enrollments: object[];
}

/** Today's UTC date: the import's day when its caller gives none. */
const utcToday = () => new Date().toISOString().slice(0, 10);

/**
 * Rows for the ClickHouse roster dimensions (infra/clickhouse/0100_roster_dimensions.sql). People are
 * written only as their pseudonym (person_id); no name, email, username or sourcedId leaves here.
 * Class head counts are those of `day`, the import's (the district's local day): enrollments not over
 * by that day (in force, or still to begin), dated by enrich's rule (their dates, else their class's
 * term dates). A person's `school_id` is their school that day; `school_ids` every school the roster
 * has them at (their school orgs and enrollments, ended ones too).
 */
export function buildDimensionRows(
  districtId: string,
  version: string,
  data: RosterData,
  pseudonymKey: string,
  day: string = utcToday(),
): DimensionRows {
  const index = new RosterIndex(districtId, version, data, pseudonymKey);
  const base = { district_id: districtId, roster_version: version };
  const dim_schools = [...data.orgs.values()].map((o) => ({
    ...base,
    school_id: o.sourcedId,
    name: o.name,
    org_type: o.type,
    parent_id: o.parentSourcedId ?? '',
    status: o.status,
  }));
  const dim_enrollments: object[] = [];
  for (const e of data.enrollments.values()) {
    const person = index.people.get(e.userSourcedId);
    if (!person) continue; // a dangling reference has no pseudonym to write
    dim_enrollments.push({
      ...base,
      class_id: e.classSourcedId,
      person_id: person.personId,
      role: mapRole(e.role),
      is_primary: e.primary ? 1 : 0,
      begin_date: e.beginDate ?? '',
      end_date: e.endDate ?? '',
      status: e.status,
    });
  }
  const counts = classCounts(index, day);
  const dim_classes = [...data.classes.values()].map((c) => {
    const course = c.courseSourcedId ? data.courses.get(c.courseSourcedId) : undefined;
    const n = counts.get(c.sourcedId);
    return {
      ...base,
      class_id: c.sourcedId,
      title: c.title,
      class_type: c.classType,
      course_id: c.courseSourcedId ?? '',
      course_title: course?.title ?? '',
      course_code: course?.courseCode ?? '',
      school_id: c.schoolSourcedId ?? '',
      grades: c.grades,
      term_ids: c.termSourcedIds,
      app_ids: c.courseSourcedId ? (data.courseApps.get(c.courseSourcedId) ?? []) : [],
      students: n?.students ?? 0,
      teachers: n?.teachers ?? 0,
      status: c.status,
    };
  });
  const dim_people = [...data.users.values()].map((u) => {
    const p = index.people.get(u.sourcedId);
    return {
      ...base,
      person_id: p?.personId ?? '',
      role: p?.role ?? 'unknown',
      grade: p?.grade ?? '',
      school_id: (p && schoolOfRow(p, day)) ?? '',
      // Every school the roster has them at, ended enrollments too: license eligibility counts a window
      // that may lie before a move, whose events still count as active at the old school.
      school_ids: p ? [...new Set([...p.orgSchools, ...enrollmentSchools(p)])] : [],
      enabled: u.enabled ? 1 : 0,
      status: u.status,
    };
  });
  return { dim_schools, dim_classes, dim_people, dim_enrollments };
}

/**
 * An enrollment not over by `day`: in force, or still to begin. The dimensions are a copy of the roster
 * between imports, so one written in August, before the term's first day, must not show every class
 * empty until the next import; one that has ended no longer counts.
 */
const notOver = (span: DateSpan, day: string) => span.endDate === null || day < span.endDate;

/**
 * The person's school on the import's `day` (enrich's rule for an event of that day); with no school
 * that way (between terms, in summer, before the first day), the one school of their enrollments still
 * to begin, as the class counts take them.
 */
function schoolOfRow(person: IndexedPerson, day: string): string | null {
  const now = schoolOn(person, day);
  if (now !== null) return now;
  const ahead = enrollmentSchools(person, (e) => e.beginDate !== null && day < e.beginDate);
  return ahead.length === 1 ? ahead[0]! : null;
}

/**
 * Students and teachers per class among the enrollments not over by `day` (in force, or about to begin),
 * dated as the index dates them (their own dates, else their class's term).
 */
function classCounts(index: RosterIndex, day: string): Map<string, { students: number; teachers: number }> {
  const counts = new Map<string, { students: number; teachers: number }>();
  for (const person of index.people.values()) {
    for (const e of person.enrollments) {
      if (!e.active || !notOver(e, day)) continue;
      const c = counts.get(e.classId) ?? { students: 0, teachers: 0 };
      if (e.role === 'student') c.students++;
      else if (e.role === 'teacher') c.teachers++;
      counts.set(e.classId, c);
    }
  }
  return counts;
}

export interface DimensionSummary {
  oneroster_version: string;
}

/**
 * Inserts the dimension rows of a new roster version, records the version (which makes it current
 * for the *_current views), then drops every other version's partitions for the district.
 */
export async function writeDimensions(
  client: ClickHouseClient,
  districtId: string,
  version: string,
  rows: DimensionRows,
  summary: DimensionSummary,
  importedAt = new Date(),
): Promise<{ droppedVersions: string[] }> {
  for (const table of DIMENSION_TABLES) await insertRows(client, table, rows[table]);
  await insertRows(client, 'dim_roster_versions', [
    {
      district_id: districtId,
      roster_version: version,
      imported_ms: importedAt.getTime(),
      imported_at: utcDateTime(importedAt),
      oneroster_version: summary.oneroster_version,
      orgs: rows.dim_schools.length,
      classes: rows.dim_classes.length,
      people: rows.dim_people.length,
      enrollments: rows.dim_enrollments.length,
    },
  ]);
  const dropped = new Set<string>();
  for (const table of DIMENSION_TABLES) {
    const old = await queryRows<{ roster_version: string }>(
      client,
      `SELECT DISTINCT roster_version FROM ${sqlIdentifier(table)} WHERE district_id = ${sqlString(districtId)} AND roster_version != ${sqlString(version)}`,
    );
    for (const { roster_version } of old) {
      await command(
        client,
        `ALTER TABLE ${sqlIdentifier(table)} DROP PARTITION (${sqlString(districtId)}, ${sqlString(roster_version)})`,
      );
      dropped.add(roster_version);
    }
  }
  return { droppedVersions: [...dropped] };
}

export interface RosterImport {
  roster_version: string;
  /** UTC, ISO 8601. */
  imported_at: string;
  oneroster_version: string;
  orgs: number;
  classes: number;
  people: number;
  enrollments: number;
  /** The version the dim_*_current views read. */
  current: boolean;
}

/** The district's completed roster imports (dim_roster_versions), newest first. */
export async function rosterImports(client: ClickHouseClient, districtId: string, limit = 20): Promise<RosterImport[]> {
  const rows = await queryRows<Record<string, string | number>>(
    client,
    `SELECT roster_version, toString(imported_at) AS imported_at, oneroster_version, orgs, classes, people, enrollments
     FROM dim_roster_versions WHERE district_id = ${sqlString(districtId)}
     ORDER BY imported_ms DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
  );
  return rows.map((r, i) => ({
    roster_version: String(r.roster_version),
    imported_at: `${String(r.imported_at).replace(' ', 'T')}Z`,
    oneroster_version: String(r.oneroster_version),
    orgs: Number(r.orgs),
    classes: Number(r.classes),
    people: Number(r.people),
    enrollments: Number(r.enrollments),
    current: i === 0,
  }));
}
