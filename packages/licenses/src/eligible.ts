/**
 * Eligible people per license and per license × school, from the current roster (dim_people_current)
 * and the licenses: rostered, enabled people of the audience's roles, in the license's scope and
 * grade band (docs/ARCHITECTURE.md "Licenses").
 */
import { queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';

type Num = string | number;

export interface EligibleCounts {
  /** Per license: eligible people, and rostered students in scope and grade band (the per_student cost basis). */
  byLicense: Map<string, { eligible: number; students: number }>;
  /** Per license and roster school: eligible people enrolled there. */
  bySchool: { license_id: string; school_id: string; eligible: number }[];
}

/** The part of a license eligibility depends on: licenses alike in it share their counts. */
const scopeKey = (school: string, roles: readonly string[], grades: readonly string[]) =>
  JSON.stringify([school, [...roles], [...grades]]);

/**
 * One query: the people are first merged into uniqExact states per role, grade and school (a person
 * of two schools is in both groups; one of no school in the group ''), a few hundred rows that are
 * then joined to the distinct license scopes (school, audience roles, grade band), kept when in the
 * scope and grade band, and merged per figure, counting only the audience's roles (students: the
 * students). Merging the states of the groups counts each person once, as joining every person to
 * every license did (two queries of 0.8 s for 52,500 people and 40 licenses; docs/BENCHMARKS.md
 * "License report"). Per distinct scope rather than per license: the 40 licenses of the benchmark
 * have 12 scopes, and the cost is the states merged per figure. A license × school row exists for
 * every school with people in scope, eligible or not (as before).
 */
export async function eligibleCounts(ch: ClickHouseClient, districtId: string): Promise<EligibleCounts> {
  const d = sqlString(districtId);
  const groups = `SELECT district_id, role, grade, sch, uniqExactState(person_id) AS people
    FROM (SELECT district_id, person_id, role, grade, arrayJoin(if(empty(school_ids), [''], school_ids)) AS sch
          FROM dim_people_current WHERE district_id = ${d} AND person_id != '' AND enabled = 1)
    GROUP BY district_id, role, grade, sch`;
  const scopes = `(SELECT DISTINCT district_id, school_id AS l_school, audience_roles AS l_roles, grades AS l_grades
    FROM licenses_current WHERE district_id = ${d}) AS l`;
  const inScope = `(l_school = '' OR sch = l_school) AND (empty(l_grades) OR has(l_grades, grade))`;
  const [rows, licenses] = await Promise.all([
    queryRows<{ kind: string; school: string; l_school: string; l_roles: string[]; l_grades: string[]; n: Num }>(
      ch,
      `SELECT arrayJoin(arrayFilter(f -> f.1 != 'school' OR f.2 != '', [('eligible', ''), ('students', ''), ('school', sch)])) AS figure,
              figure.1 AS kind, figure.2 AS school, l_school, l_roles, l_grades,
              uniqExactMergeIf(people, if(kind = 'students', role = 'student', has(l_roles, role))) AS n
       FROM (
         SELECT l_school, l_roles, l_grades, role, sch, people
         FROM (${groups}) AS p ALL INNER JOIN ${scopes} USING (district_id)
         WHERE ${inScope}
       ) AS in_scope
       GROUP BY figure, l_school, l_roles, l_grades`,
    ),
    queryRows<{ license_id: string; school_id: string; audience_roles: string[]; grades: string[] }>(
      ch,
      `SELECT license_id, school_id, audience_roles, grades FROM licenses_current WHERE district_id = ${d} ORDER BY license_id`,
    ),
  ]);
  const byScope = new Map<string, typeof rows>();
  for (const r of rows) {
    const k = scopeKey(r.l_school, r.l_roles, r.l_grades);
    byScope.set(k, [...(byScope.get(k) ?? []), r]);
  }
  const out: EligibleCounts = { byLicense: new Map(), bySchool: [] };
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
