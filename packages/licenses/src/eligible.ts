/**
 * Eligible people per license and per license × school, from the current roster (its version's dim_people)
 * and the licenses: rostered, enabled people of the audience's roles, in the license's scope and
 * grade band (docs/ARCHITECTURE.md "Licenses").
 */
import { queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import type { StoredLicense } from './queries';

type Num = string | number;

export interface EligibleCounts {
  /** Per license: eligible people, and rostered students in scope and grade band (the per_student cost basis). */
  byLicense: Map<string, { eligible: number; students: number }>;
  /** Per license and roster school: eligible people enrolled there. */
  bySchool: { license_id: string; school_id: string; eligible: number }[];
}

/** What eligibility depends on of a license: licenses alike in it share their counts. */
export type EligibleScope = Pick<StoredLicense, 'license_id' | 'school_id' | 'audience_roles' | 'grades'>;

const scopeKey = (school: string, roles: readonly string[], grades: readonly string[]) =>
  JSON.stringify([school, [...roles], [...grades]]);

/** SQL: a string array literal (emptyArrayString() for none: an empty [] has no element type on 18.16). */
const stringArray = (values: readonly string[]) =>
  values.length === 0 ? 'emptyArrayString()' : `[${values.map(sqlString).join(', ')}]`;

/**
 * Eligible people per license (and per license × school) of the district's current roster: counted
 * per distinct scope of `licenses` (countScopes), kept per roster version (scopeCounts).
 */
export async function eligibleCounts(
  ch: ClickHouseClient,
  districtId: string,
  licenses: readonly EligibleScope[],
): Promise<EligibleCounts> {
  const out: EligibleCounts = { byLicense: new Map(), bySchool: [] };
  const scopes = new Map<string, EligibleScope>();
  for (const l of licenses) scopes.set(scopeKey(l.school_id, l.audience_roles, l.grades), l);
  if (scopes.size === 0) return out;
  const rows = await scopeCounts(ch, districtId, [...scopes.values()]);
  const byScope = new Map<string, ScopeRow[]>();
  for (const r of rows) {
    const k = scopeKey(r.l_school, r.l_roles, r.l_grades);
    let list = byScope.get(k);
    if (list === undefined) byScope.set(k, (list = []));
    list.push(r);
  }
  for (const l of licenses) {
    const counts = { eligible: 0, students: 0 };
    out.byLicense.set(l.license_id, counts);
    for (const r of byScope.get(scopeKey(l.school_id, l.audience_roles, l.grades)) ?? []) {
      if (r.kind === 'eligible') counts.eligible = Number(r.n);
      else if (r.kind === 'students') counts.students = Number(r.n);
      else out.bySchool.push({ license_id: l.license_id, school_id: r.school, eligible: Number(r.n) });
    }
  }
  return out;
}

interface ScopeRow {
  kind: string;
  school: string;
  l_school: string;
  l_roles: string[];
  l_grades: string[];
  n: Num;
}

/**
 * The counts depend on the roster and the scopes only, and a roster import is a new roster version:
 * they are kept per ClickHouse client, keyed by district, roster version and scopes (at most
 * CACHED_SCOPE_SETS, the oldest dropped first). A license report then reads the version (one small
 * query) instead of merging ~50,000 people again (~0.27 s for the benchmark district).
 */
const CACHED_SCOPE_SETS = 64;
const cache = new WeakMap<ClickHouseClient, Map<string, ScopeRow[]>>();

async function rosterVersion(ch: ClickHouseClient, districtId: string): Promise<string | null> {
  const [row] = await queryRows<{ v: string; n: Num }>(
    ch,
    `SELECT argMax(roster_version, imported_ms) AS v, count() AS n FROM dim_roster_versions
     WHERE district_id = ${sqlString(districtId)}`,
  );
  return row === undefined || Number(row.n) === 0 ? null : row.v;
}

async function scopeCounts(
  ch: ClickHouseClient,
  districtId: string,
  scopes: readonly EligibleScope[],
): Promise<ScopeRow[]> {
  const byClient = cache.get(ch) ?? new Map<string, ScopeRow[]>();
  cache.set(ch, byClient);
  const scopeRows = scopes
    .map((l) => `(${sqlString(l.school_id)}, ${stringArray(l.audience_roles)}, ${stringArray(l.grades)})`)
    .sort()
    .join(', ');
  let version = await rosterVersion(ch, districtId);
  // A roster import between reading the version and the people (whose old version is then dropped):
  // counted again at the new one.
  for (let attempt = 0; version !== null && attempt < 3; attempt++) {
    const key = JSON.stringify([districtId, version, scopeRows]);
    const known = byClient.get(key);
    if (known !== undefined) return known;
    const rows = await countScopes(ch, districtId, version, scopeRows);
    const now = await rosterVersion(ch, districtId);
    if (now === version) {
      if (byClient.size >= CACHED_SCOPE_SETS) byClient.delete(byClient.keys().next().value!);
      byClient.set(key, rows);
      return rows;
    }
    version = now;
  }
  if (version === null) return [];
  throw new Error(
    `district ${districtId}: its roster changed three times while its eligible people were counted; try again`,
  );
}

/**
 * One query: the people of the roster version are first merged into uniqExact states per role, grade
 * and school (a person of two schools is in both groups; one of no school in the group ''), a few
 * hundred rows that are then joined to the distinct scopes (school, audience roles, grade band), kept
 * when in the scope and grade band, and merged per figure, counting only the audience's roles
 * (students: the students). Merging the states of the groups counts each person once, as joining
 * every person to every license did (two queries of 0.8 s for 52,500 people and 40 licenses;
 * docs/BENCHMARKS.md "License report"). Per distinct scope rather than per license: the 40 licenses
 * of the benchmark have 12 scopes, and the cost is the states merged per figure. A license × school
 * row exists for every school with people in scope, eligible or not (as before).
 */
async function countScopes(
  ch: ClickHouseClient,
  districtId: string,
  version: string,
  scopeRows: string,
): Promise<ScopeRow[]> {
  const groups = `SELECT role, grade, sch, uniqExactState(person_id) AS people
    FROM (SELECT person_id, role, grade, arrayJoin(if(empty(school_ids), [''], school_ids)) AS sch
          FROM dim_people
          WHERE district_id = ${sqlString(districtId)} AND roster_version = ${sqlString(version)}
            AND person_id != '' AND enabled = 1)
    GROUP BY role, grade, sch`;
  const inScope = `(l_school = '' OR sch = l_school) AND (empty(l_grades) OR has(l_grades, grade))`;
  return queryRows<ScopeRow>(
    ch,
    `SELECT arrayJoin(arrayFilter(f -> f.1 != 'school' OR f.2 != '', [('eligible', ''), ('students', ''), ('school', sch)])) AS figure,
            figure.1 AS kind, figure.2 AS school, l_school, l_roles, l_grades,
            uniqExactMergeIf(people, if(kind = 'students', role = 'student', has(l_roles, role))) AS n
     FROM (
       SELECT l_school, l_roles, l_grades, role, sch, people
       FROM (${groups}) AS p
       CROSS JOIN (SELECT scope.1 AS l_school, scope.2 AS l_roles, scope.3 AS l_grades
                   FROM system.one ARRAY JOIN [${scopeRows}] AS scope) AS l
       WHERE ${inScope}
     ) AS in_scope
     GROUP BY figure, l_school, l_roles, l_grades`,
  );
}
