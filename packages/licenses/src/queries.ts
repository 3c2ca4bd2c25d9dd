/**
 * The license counts, computed in ClickHouse from the rollups (read through the rollup_*_app_daily
 * views with -Merge), the roster dimensions (dim_*_current) and the current license inventory. Every
 * active-user figure is a merged uniqExact state over the whole window: distinct people, never a
 * sum of daily counts. The ratios built on these counts are in metrics.ts.
 */
import { queryRows, sqlDate, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import type { LicenseRecord } from './license-rows';
import { addDays } from './window';

/** An inclusive range of district-local days. */
export interface Window {
  districtId: string;
  from: string;
  to: string;
}

export interface StoredLicense extends LicenseRecord {
  seats: number;
}

export interface LicenseCounts {
  license_id: string;
  /** Rostered people in the license's scope, audience and grade band. */
  eligible: number;
  /** Rostered students in the license's scope and grade band (the per_student cost basis). */
  students: number;
  /** Distinct people of the audience's roles active with the app, in scope, in window ∩ term. */
  active: number;
  engaged_seconds: number;
}

export interface LicenseSchoolCounts {
  license_id: string;
  school_id: string;
  eligible: number;
  active: number;
}

type Num = string | number;

export async function currentLicenses(ch: ClickHouseClient, districtId: string): Promise<StoredLicense[]> {
  const rows = await queryRows<StoredLicense & { seats: Num; unlimited_seats: Num; cost: Num }>(
    ch,
    `SELECT license_id, app_id, vendor, school_id, seats, unlimited_seats, cost, cost_basis, currency,
            toString(term_start) AS term_start, toString(term_end) AS term_end, renewal_date, audience,
            audience_roles, grades, notes
     FROM licenses_current WHERE district_id = ${sqlString(districtId)} ORDER BY license_id`,
  );
  return rows.map((r) => ({
    ...r,
    seats: Number(r.seats),
    unlimited_seats: Number(r.unlimited_seats) === 1 ? 1 : 0,
    cost: Number(r.cost),
  }));
}

const licenseSide = (districtId: string) => `(
  SELECT district_id, app_id, license_id, school_id AS l_school, audience_roles AS l_roles,
         grades AS l_grades, term_start AS l_start, term_end AS l_end
  FROM licenses_current WHERE district_id = ${sqlString(districtId)}) AS l`;

/** The aggregate-state columns of the school rollup a query reads (each costs reading and copying). */
type StateColumn = 'active_users' | 'explicit_seconds' | 'active_minutes';

/**
 * The school rollup's rows of the window, read from the parts table with FINAL and the window filter
 * inside the same SELECT: ClickHouse 18.16 does not push an outer WHERE into the view's FINAL, so
 * `FROM rollup_school_app_daily WHERE …` collapses the whole table first (4× slower on a year of a
 * 50,000-student district, docs/BENCHMARKS.md). Filtering first is the same result: district and day
 * are part of the replacing key, so every version of a row shares them.
 */
export function schoolRollupRows(w: Window, states: readonly StateColumn[]): string {
  return `SELECT district_id, school_id, local_date, app_id, role${states.map((c) => `, ${c}`).join('')}
      FROM rollup_school_app_daily_parts FINAL
      WHERE district_id = ${sqlString(w.districtId)} AND local_date BETWEEN ${sqlDate(w.from)} AND ${sqlDate(w.to)}`;
}

/**
 * School rollup rows of the window joined to the licenses of their app, kept when the row's role is
 * in the audience, its school in scope and its day in the term. The school rollup holds every event
 * once (school_id '' = none), so merging its states over all schools gives the district figure.
 */
function licensedActivity(
  w: Window,
  states: readonly StateColumn[],
  select: string,
  groupBy: string,
  extraWhere = '1',
  days = 'local_date >= l_start AND local_date <= l_end',
): string {
  return `SELECT ${select}
    FROM (${schoolRollupRows(w, states)}) AS r
    ALL INNER JOIN ${licenseSide(w.districtId)} USING (district_id, app_id)
    WHERE has(l_roles, role) AND (l_school = '' OR school_id = l_school)
      AND ${days} AND ${extraWhere}
    GROUP BY ${groupBy}`;
}

/** People of the current roster joined to every license of the district (the eligibility rule in WHERE). */
function eligiblePeople(districtId: string, select: string, groupBy: string, schoolsJoined: boolean): string {
  const people = `SELECT district_id, person_id, role, grade, school_ids${schoolsJoined ? ', arrayJoin(school_ids) AS sch' : ''}
      FROM dim_people_current WHERE district_id = ${sqlString(districtId)} AND person_id != '' AND enabled = 1`;
  const scope = schoolsJoined ? `(l_school = '' OR sch = l_school)` : `(l_school = '' OR has(school_ids, l_school))`;
  return `SELECT ${select}
    FROM (${people}) AS p ALL INNER JOIN ${licenseSide(districtId)} USING (district_id)
    WHERE ${scope} AND (empty(l_grades) OR has(l_grades, grade))
    GROUP BY ${groupBy}`;
}

/** Per license: eligible, students, active and engaged seconds over the window (∩ each license's term). */
export async function licenseCounts(ch: ClickHouseClient, w: Window): Promise<Map<string, LicenseCounts>> {
  const [eligible, active] = await Promise.all([
    queryRows<{ license_id: string; eligible: Num; students: Num }>(
      ch,
      eligiblePeople(
        w.districtId,
        `license_id, uniqExactIf(person_id, has(l_roles, role)) AS eligible, uniqExactIf(person_id, role = 'student') AS students`,
        'license_id',
        false,
      ),
    ),
    queryRows<{ license_id: string; active: Num; explicit_seconds: Num }>(
      ch,
      licensedActivity(
        w,
        ['active_users', 'explicit_seconds'],
        `license_id, uniqExactMerge(active_users) AS active, sumMerge(explicit_seconds) AS explicit_seconds`,
        'license_id',
      ),
    ),
  ]);
  const minutes = await activeMinutes(ch, w);
  const out = new Map<string, LicenseCounts>();
  const get = (id: string) => {
    let c = out.get(id);
    if (!c) {
      c = { license_id: id, eligible: 0, students: 0, active: 0, engaged_seconds: 0 };
      out.set(id, c);
    }
    return c;
  };
  for (const r of eligible)
    Object.assign(get(r.license_id), { eligible: Number(r.eligible), students: Number(r.students) });
  for (const r of active) {
    const engaged = Number(r.explicit_seconds) + 60 * (minutes.get(r.license_id) ?? 0);
    Object.assign(get(r.license_id), { active: Number(r.active), engaged_seconds: engaged });
  }
  return out;
}

/** Days per query of activeMinutes. */
const MINUTES_CHUNK_DAYS = 31;

/**
 * Distinct person-minutes per license over the window, summed over chunks of at most 31 days queried
 * one after the other. Exact: a UTC minute lies in one district-local day, so no person-minute is in
 * two chunks. Bounded: only one chunk's sets are held at once; a school year of a 50,000-student
 * district in one query needed more than the local stack's per-query limit (max_memory_usage 2 GB,
 * infra/local/clickhouse-users.xml.template; docs/BENCHMARKS.md "License report").
 */
async function activeMinutes(ch: ClickHouseClient, w: Window): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let from = w.from; from <= w.to; from = addDays(from, MINUTES_CHUNK_DAYS)) {
    const last = addDays(from, MINUTES_CHUNK_DAYS - 1);
    const chunk = { ...w, from, to: last < w.to ? last : w.to };
    const rows = await queryRows<{ license_id: string; minutes: Num }>(
      ch,
      licensedActivity(
        chunk,
        ['active_minutes'],
        'license_id, uniqExactIfMerge(active_minutes) AS minutes',
        'license_id',
      ),
    );
    for (const r of rows) out.set(r.license_id, (out.get(r.license_id) ?? 0) + Number(r.minutes));
  }
  return out;
}

/**
 * The licenses with any use in the window (∩ term, audience, scope). A rollup row exists only for
 * a cell with at least one event, so its active state is never empty: no state is read or merged.
 */
export async function licensesWithUse(ch: ClickHouseClient, w: Window): Promise<Set<string>> {
  const rows = await queryRows<{ license_id: string }>(ch, licensedActivity(w, [], 'license_id', 'license_id'));
  return new Set(rows.map((r) => r.license_id));
}

/** Per license and school (schools of the roster only; activity with no school is left out). */
export async function licenseSchoolCounts(ch: ClickHouseClient, w: Window): Promise<LicenseSchoolCounts[]> {
  const [eligible, active] = await Promise.all([
    queryRows<{ license_id: string; school_id: string; eligible: Num }>(
      ch,
      eligiblePeople(
        w.districtId,
        `license_id, sch AS school_id, uniqExactIf(person_id, has(l_roles, role)) AS eligible`,
        'license_id, sch',
        true,
      ),
    ),
    queryRows<{ license_id: string; school_id: string; active: Num }>(
      ch,
      licensedActivity(
        w,
        ['active_users'],
        `license_id, school_id, uniqExactMerge(active_users) AS active`,
        'license_id, school_id',
        `school_id != ''`,
      ),
    ),
  ]);
  const out = new Map<string, LicenseSchoolCounts>();
  for (const r of eligible) {
    out.set(`${r.license_id}|${r.school_id}`, {
      license_id: r.license_id,
      school_id: r.school_id,
      eligible: Number(r.eligible),
      active: 0,
    });
  }
  for (const r of active) {
    const k = `${r.license_id}|${r.school_id}`;
    const row = out.get(k) ?? { license_id: r.license_id, school_id: r.school_id, eligible: 0, active: 0 };
    row.active = Number(r.active);
    out.set(k, row);
  }
  return [...out.values()].sort(
    (a, b) => a.license_id.localeCompare(b.license_id) || a.school_id.localeCompare(b.school_id),
  );
}

/** Distinct active people per license and Monday-starting week, from the term start to the window end. */
export async function weeklyActive(
  ch: ClickHouseClient,
  w: Window,
  termStart: string,
): Promise<{ license_id: string; week: string; active: number }[]> {
  const rows = await queryRows<{ license_id: string; week: string; active: Num }>(
    ch,
    licensedActivity(
      { ...w, from: termStart < w.to ? termStart : w.to },
      ['active_users'],
      `license_id, toString(toMonday(local_date)) AS week, uniqExactMerge(active_users) AS active`,
      'license_id, week',
    ) + ' ORDER BY license_id, week',
  );
  return rows.map((r) => ({ license_id: r.license_id, week: r.week, active: Number(r.active) }));
}

export interface AppUse {
  app_id: string;
  /** Distinct rostered and unrostered people with any use in the window. */
  active: number;
  /** Schools (roster sourcedIds) with use in the window. */
  schools: string[];
}

/** Every app with use in the window, with its active people (all roles) and the schools it was used at. */
export async function appUse(ch: ClickHouseClient, w: Window): Promise<Map<string, AppUse>> {
  const rows = await queryRows<{ app_id: string; active: Num; schools: string[] }>(
    ch,
    `SELECT app_id, uniqExactMerge(active_users) AS active, arraySort(groupUniqArrayIf(school_id, school_id != '')) AS schools
     FROM (${schoolRollupRows(w, ['active_users'])})
     GROUP BY app_id ORDER BY app_id`,
  );
  return new Map(rows.map((r) => [r.app_id, { app_id: r.app_id, active: Number(r.active), schools: r.schools }]));
}

export interface StoredApproval {
  app_id: string;
  status: string;
  dpa_signed_on: string;
  dpa_expires_on: string;
  note: string;
}

export async function currentApprovals(ch: ClickHouseClient, districtId: string): Promise<Map<string, StoredApproval>> {
  const rows = await queryRows<StoredApproval>(
    ch,
    `SELECT app_id, status, dpa_signed_on, dpa_expires_on, note FROM app_approvals_current
     WHERE district_id = ${sqlString(districtId)} ORDER BY app_id`,
  );
  return new Map(rows.map((r) => [r.app_id, r]));
}

/** Per license: distinct people of its audience and scope active in the window after its term ended. */
export async function activeAfterTerm(ch: ClickHouseClient, w: Window): Promise<Map<string, AppUse>> {
  const rows = await queryRows<{ license_id: string; active: Num; schools: string[] }>(
    ch,
    licensedActivity(
      w,
      ['active_users'],
      `license_id, uniqExactMerge(active_users) AS active, arraySort(groupUniqArrayIf(school_id, school_id != '')) AS schools`,
      'license_id',
      '1',
      'local_date > l_end',
    ),
  );
  return new Map(rows.map((r) => [r.license_id, { app_id: '', active: Number(r.active), schools: r.schools }]));
}
