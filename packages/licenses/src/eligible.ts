/**
 * Eligible people per license and per license × school, from the current roster (dim_people_current)
 * and the licenses: rostered, enabled people of the audience's roles, in the license's scope and
 * grade band (docs/ARCHITECTURE.md "Licenses").
 */
import { queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { licenseSide } from './activity';

type Num = string | number;

export interface EligibleCounts {
  /** Per license: eligible people, and rostered students in scope and grade band (the per_student cost basis). */
  byLicense: Map<string, { eligible: number; students: number }>;
  /** Per license and roster school: eligible people enrolled there. */
  bySchool: { license_id: string; school_id: string; eligible: number }[];
}

/**
 * One query: the people are first merged into uniqExact states per role, grade and school (a person
 * of two schools is in both groups; one of no school in the group ''), a few hundred rows that are
 * then joined to the licenses, kept when in the license's scope and grade band, and merged per
 * figure, counting only the audience's roles (students: the students). Merging the states of the
 * groups counts each person once, as joining every person to every license did (two queries of
 * 0.8 s for 52,500 people and 40 licenses; docs/BENCHMARKS.md "License report"). A license × school
 * row exists for every school with people in scope, eligible or not (as before).
 */
export async function eligibleCounts(ch: ClickHouseClient, districtId: string): Promise<EligibleCounts> {
  const groups = `SELECT district_id, role, grade, sch, uniqExactState(person_id) AS people
    FROM (SELECT district_id, person_id, role, grade, arrayJoin(if(empty(school_ids), [''], school_ids)) AS sch
          FROM dim_people_current WHERE district_id = ${sqlString(districtId)} AND person_id != '' AND enabled = 1)
    GROUP BY district_id, role, grade, sch`;
  const inScope = `(l_school = '' OR sch = l_school) AND (empty(l_grades) OR has(l_grades, grade))`;
  const rows = await queryRows<{ kind: string; lic: string; school: string; n: Num }>(
    ch,
    `SELECT arrayJoin(arrayFilter(f -> f.1 != 'school' OR f.3 != '',
              [('eligible', license_id, ''), ('students', license_id, ''), ('school', license_id, sch)])) AS figure,
            figure.1 AS kind, figure.2 AS lic, figure.3 AS school,
            uniqExactMergeIf(people, if(kind = 'students', role = 'student', has(l_roles, role))) AS n
     FROM (
       SELECT license_id, l_roles, role, sch, people
       FROM (${groups}) AS p ALL INNER JOIN ${licenseSide(districtId)} USING (district_id)
       WHERE ${inScope}
     ) AS in_scope
     GROUP BY figure`,
  );
  const out: EligibleCounts = { byLicense: new Map(), bySchool: [] };
  const license = (id: string) => {
    let c = out.byLicense.get(id);
    if (!c) out.byLicense.set(id, (c = { eligible: 0, students: 0 }));
    return c;
  };
  for (const r of rows) {
    if (r.kind === 'eligible') license(r.lic).eligible = Number(r.n);
    else if (r.kind === 'students') license(r.lic).students = Number(r.n);
    else out.bySchool.push({ license_id: r.lic, school_id: r.school, eligible: Number(r.n) });
  }
  return out;
}
