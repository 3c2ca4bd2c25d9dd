/**
 * Licensed activity: the school rollup's rows joined to the licenses of their app and merged per
 * license. Every active-user figure is a merged uniqExact state (distinct people, never a sum of
 * daily counts); engaged minutes are distinct person-minutes, summed over days (a UTC minute lies in
 * one district-local day).
 */
import { queryRows, sqlDate, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { schoolRollupRows, type StateColumn, type Window } from './rollup-read';
import { addDays } from './window';

type Num = string | number;

/** Code-point order, as ClickHouse's ORDER BY of strings. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const licenseSide = (districtId: string) => `(
  SELECT district_id, app_id, license_id, school_id AS l_school, audience_roles AS l_roles,
         grades AS l_grades, term_start AS l_start, term_end AS l_end
  FROM licenses_current WHERE district_id = ${sqlString(districtId)}) AS l`;

/**
 * School rollup rows of the window joined to the licenses of their app, kept when the row's role is
 * in the audience, its school in scope and its day in `days` (by default the term). The school rollup
 * holds every event once (school_id '' = none), so merging its states over all schools gives the
 * district figure. The join copies no state (ClickHouse passes states on by reference), so states are
 * merged once, at the grain asked for; merging them per app first was slower (docs/BENCHMARKS.md).
 */
function licensedRows(
  w: Window,
  states: readonly StateColumn[],
  select: string,
  days = 'local_date >= l_start AND local_date <= l_end',
): string {
  return `SELECT ${select}
    FROM (${schoolRollupRows(w, states)}) AS r
    ALL INNER JOIN ${licenseSide(w.districtId)} USING (district_id, app_id)
    WHERE has(l_roles, role) AND (l_school = '' OR school_id = l_school) AND ${days}`;
}

/** licensedRows merged: `select` holds the -Merge functions, `groupBy` the grain. */
export function licensedActivity(
  w: Window,
  states: readonly StateColumn[],
  select: string,
  groupBy: string,
  days?: string,
): string {
  return `${licensedRows(w, states, select, days)}
    GROUP BY ${groupBy}`;
}

export interface LicenseActivity {
  /** Per license over the window (∩ term): distinct active people and explicit seconds. */
  totals: Map<string, { active: number; explicit_seconds: number }>;
  /** Per license and roster school (activity with no school left out) over the window (∩ term). */
  schools: { license_id: string; school_id: string; active: number }[];
  /** Per license and Monday-starting week from `trendFrom` to the window end (∩ term); none without trendFrom. */
  weeks: { license_id: string; week: string; active: number }[];
}

/**
 * The license totals, the license × school counts and (with `trendFrom`) the weekly trend from ONE
 * read of the rollup: each licensed row is fanned out (arrayJoin) to the figures it belongs to,
 * `window`, `school <id>` and `week <monday>`, and the states are merged per license and figure.
 * One FINAL read instead of one per figure, which is most of a query's time.
 */
export async function licenseActivity(ch: ClickHouseClient, w: Window, trendFrom?: string): Promise<LicenseActivity> {
  const readFrom = trendFrom !== undefined && trendFrom < w.from ? trendFrom : w.from;
  const inWindow = `local_date >= ${sqlDate(w.from)}`;
  const figures = [
    `if(${inWindow}, 'window', '')`,
    `if(${inWindow} AND school_id != '', concat('school ', school_id), '')`,
    ...(trendFrom === undefined ? [] : [`concat('week ', toString(toMonday(local_date)))`]),
  ];
  const licensed = licensedRows(
    { ...w, from: readFrom },
    ['active_users', 'explicit_seconds'],
    'license_id, local_date, school_id, active_users, explicit_seconds',
  );
  const rows = await queryRows<{ license_id: string; figure: string; active: Num; explicit_seconds: Num }>(
    ch,
    `SELECT license_id, arrayJoin(arrayFilter(f -> f != '', [${figures.join(', ')}])) AS figure,
            uniqExactMerge(active_users) AS active, sumMerge(explicit_seconds) AS explicit_seconds
     FROM (${licensed}) AS licensed
     GROUP BY license_id, figure`,
  );
  const out: LicenseActivity = { totals: new Map(), schools: [], weeks: [] };
  for (const r of rows) {
    const active = Number(r.active);
    if (r.figure === 'window') {
      out.totals.set(r.license_id, { active, explicit_seconds: Number(r.explicit_seconds) });
    } else if (r.figure.startsWith('school ')) {
      out.schools.push({ license_id: r.license_id, school_id: r.figure.slice('school '.length), active });
    } else {
      out.weeks.push({ license_id: r.license_id, week: r.figure.slice('week '.length), active });
    }
  }
  out.weeks.sort((a, b) => byText(a.license_id, b.license_id) || byText(a.week, b.week));
  return out;
}

/** Days per query of activeMinutes. */
const MINUTES_CHUNK_DAYS = 31;

/**
 * Distinct person-minutes per license over the window (∩ term), counted per license and day and
 * summed, over chunks of at most 31 days queried one after the other. Exact: a UTC minute lies in one
 * district-local day, so no person-minute is in two days (nor two chunks). Per day, the sets merged
 * are small (fast); per chunk, the memory is bounded: a school year of a 50,000-student district in
 * one query needed more than the local stack's per-query limit (max_memory_usage 2 GB,
 * infra/local/clickhouse-users.xml.template; docs/BENCHMARKS.md "License report").
 */
export async function activeMinutes(ch: ClickHouseClient, w: Window): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let from = w.from; from <= w.to; from = addDays(from, MINUTES_CHUNK_DAYS)) {
    const last = addDays(from, MINUTES_CHUNK_DAYS - 1);
    const chunk = { ...w, from, to: last < w.to ? last : w.to };
    const perDay = licensedActivity(
      chunk,
      ['active_minutes'],
      'license_id, local_date, uniqExactIfMerge(active_minutes) AS day_minutes',
      'license_id, local_date',
    );
    const rows = await queryRows<{ license_id: string; minutes: Num }>(
      ch,
      `SELECT license_id, sum(day_minutes) AS minutes FROM (${perDay}) AS per_day GROUP BY license_id`,
    );
    for (const r of rows) out.set(r.license_id, (out.get(r.license_id) ?? 0) + Number(r.minutes));
  }
  return out;
}
