/**
 * Eligible people per license and per license × school, from the current roster (dim_people_current)
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
 * One query: the people are first merged into uniqExact states per role, grade and school (a person
 * of two schools is in both groups; one of no school in the group ''), a few hundred rows that are
 * then joined to the distinct scopes (school, audience roles, grade band) of `licenses`, kept when in
 * the scope and grade band, and merged per figure, counting only the audience's roles (students: the
 * students). Merging the states of the groups counts each person once, as joining every person to
 * every license did (two queries of 0.8 s for 52,500 people and 40 licenses; docs/BENCHMARKS.md
 * "License report"). Per distinct scope rather than per license: the 40 licenses of the benchmark
 * have 12 scopes, and the cost is the states merged per figure. The scopes are the caller's licenses
 * (the list its other figures use), sent as literals. A license × school row exists for every school
 * with people in scope, eligible or not (as before).
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
  const groups = `SELECT role, grade, sch, uniqExactState(person_id) AS people
    FROM (SELECT person_id, role, grade, arrayJoin(if(empty(school_ids), [''], school_ids)) AS sch
          FROM dim_people_current WHERE district_id = ${sqlString(districtId)} AND person_id != '' AND enabled = 1)
    GROUP BY role, grade, sch`;
  const scopeRows = [...scopes.values()]
    .map((l) => `(${sqlString(l.school_id)}, ${stringArray(l.audience_roles)}, ${stringArray(l.grades)})`)
    .join(', ');
  const inScope = `(l_school = '' OR sch = l_school) AND (empty(l_grades) OR has(l_grades, grade))`;
  const rows = await queryRows<{
    kind: string;
    school: string;
    l_school: string;
    l_roles: string[];
    l_grades: string[];
    n: Num;
  }>(
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
  const byScope = new Map<string, typeof rows>();
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
