/**
 * Licensed activity: the school rollup's rows joined to the licenses of their app and merged per
 * license. Every active-user figure is a merged uniqExact state (distinct people, never a sum of
 * daily counts); engaged minutes are distinct person-minutes, summed over days (a UTC minute lies in
 * one district-local day).
 */
import { queryRows, sqlDate, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { daysOf, monthsWithNewer, rollupRows, stateToRead, type CompactionState } from '@edusage/rollups';
import { dayRanges, trendStart, type CountedFigures } from './counted';
import type { StateColumn, Window } from './rollup-read';
import { addDays } from './window';

type Num = string | number;

/** Code-point order, as ClickHouse's ORDER BY of strings. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** SQL: a joined row is in its license's audience and scope; IN_LICENSE: and term. */
const IN_SCOPE = `has(l_roles, role) AND (l_school = '' OR school_id = l_school)`;
const IN_LICENSE = `${IN_SCOPE} AND local_date >= l_start AND local_date <= l_end`;

export const licenseSide = (districtId: string) => `(
  SELECT district_id, app_id, license_id, school_id AS l_school, audience_roles AS l_roles,
         grades AS l_grades, term_start AS l_start, term_end AS l_end
  FROM licenses_current WHERE district_id = ${sqlString(districtId)}) AS l`;

/**
 * School rollup rows of the window joined to the licenses of their app, kept when the row's role is
 * in the audience, its school in scope and its day in `days` (by default the term). The school rollup
 * holds every event once (school_id '' = none), so merging its states over all schools gives the
 * district figure. The join copies no state (ClickHouse passes states on by reference), so states are
 * merged once, at the grain asked for; merging them per app first gained nothing (docs/BENCHMARKS.md).
 */
function licensedRows(
  rollups: CompactionState,
  w: Window,
  states: readonly StateColumn[],
  select: string,
  days = 'local_date >= l_start AND local_date <= l_end',
): string {
  return `SELECT ${select}
    FROM (${rollupRows(rollups, 'school', w, { columns: states })}) AS r
    ALL INNER JOIN ${licenseSide(w.districtId)} USING (district_id, app_id)
    WHERE ${IN_SCOPE} AND (${days})`;
}

/** licensedRows merged: `select` holds the -Merge functions, `groupBy` the grain. */
export function licensedActivity(
  rollups: CompactionState,
  w: Window,
  states: readonly StateColumn[],
  select: string,
  groupBy: string,
  days?: string,
): string {
  return `${licensedRows(rollups, w, states, select, days)}
    GROUP BY ${groupBy}`;
}

export interface LicenseActivity {
  /** Per license over the window (∩ term): distinct active people and explicit seconds. */
  totals: Map<string, { active: number; explicit_seconds: number }>;
  /** Per license and roster school (activity with no school left out) over the window (∩ term). */
  schools: { license_id: string; school_id: string; active: number }[];
  /** Per license and Monday-starting week from `trendFrom` to the window end (∩ term); none without trendFrom. */
  weeks: { license_id: string; week: string; active: number }[];
  /** With `apps`: every app used in the window, licensed or not, with its active people (all roles) and schools. */
  apps: Map<string, AppUse>;
}

export interface AppUse {
  app_id: string;
  /** Distinct rostered and unrostered people with any use in the window. */
  active: number;
  /** Schools (roster sourcedIds) with use in the window. */
  schools: string[];
}

export interface ActivityOptions {
  /** Also the weekly trend, from this day (usually the earliest term start) to the window end. */
  trendFrom?: string;
  /** Also the use of every app in the window (AppUse). */
  apps?: boolean;
}

/**
 * The figures a row of the licensed read counts for, as (kind, owner, grain) tuples at the finest grain
 * merged first: `ws` per license and school ('' = no school: the window's rows, `window` and `school`
 * below), `week` per license, `app` per app. `licensed` = the row is in the license's audience, scope
 * and term (false for an app without license: the LEFT JOIN's defaults).
 */
function fineFiguresOf(w: Window, o: ActivityOptions): string {
  const inWindow = `local_date >= ${sqlDate(w.from)}`;
  const figures = [
    `(if(licensed AND ${inWindow}, 'ws', ''), license_id, school_id)`,
    ...(o.trendFrom === undefined ? [] : [`(if(licensed, 'week', ''), license_id, toString(toMonday(local_date)))`]),
    // An app with several licenses has a row per license here: merging a state again changes nothing
    // (its seconds are counted once per license: only the window's are read).
    ...(o.apps ? [`(if(${inWindow}, 'app', ''), app_id, '')`] : []),
  ];
  return `arrayJoin(arrayFilter(f -> f.1 != '', [${figures.join(', ')}]))`;
}

/**
 * A fine figure as the figures it gives: `ws` as the license's `window` and, with a school, its
 * `school`; the others as they are. Every figure but `window` so gets exactly one fine row, whose
 * state the outer query finalizes (maxIf below): a finer grain under `school`, `week` or `app` would
 * need merging there too.
 */
const COARSE_FIGURES = `if(fine.1 = 'ws',
  arrayFilter(f -> f.1 = 'window' OR f.3 != '', [('window', fine.2, ''), ('school', fine.2, fine.3)]),
  [fine])`;

/**
 * The license totals, the license × school counts and optionally the weekly trend and every app's use,
 * from ONE read of the rollup: each row is joined to the licenses of its app (LEFT: apps without a
 * license count for `apps`), fanned out (arrayJoin) to the figures it counts for, and the states
 * are merged per figure. One FINAL read instead of one per figure, which is most of a query's time.
 */
export async function licenseActivity(
  ch: ClickHouseClient,
  w: Window,
  o: ActivityOptions = {},
): Promise<LicenseActivity> {
  const readFrom = trendStart(w, o.trendFrom);
  const rollups = await stateToRead(ch, w.rollups);
  const read = { ...w, from: readFrom };
  // Months without newer contributions skip their scan (a month of the school rollup's range_start).
  const newerMonths = await monthsWithNewer(ch, rollups, read);
  const rows = await queryRows<{
    kind: string;
    owner: string;
    grain: string;
    active: Num;
    seconds: Num;
    schools: string[];
  }>(
    ch,
    // Two levels: states merged per license and school first, then the license's window from those
    // (each person once per school, not once per day of use: docs/BENCHMARKS.md "The license window
    // merged in two levels"); a school, week or app figure is its one fine state, finalized.
    `SELECT coarse AS figure, figure.1 AS kind, figure.2 AS owner, figure.3 AS grain,
            uniqExactMergeIf(s, kind = 'window') + maxIf(finalizeAggregation(s), kind != 'window') AS active,
            sum(secs) AS seconds, arraySort(groupUniqArrayArray(app_schools)) AS schools
     FROM (
       SELECT ${fineFiguresOf(w, o)} AS fine, uniqExactMergeState(active_users) AS s,
              sumMerge(explicit_seconds) AS secs,
              groupUniqArrayIf(school_id, fine.1 = 'app' AND school_id != '') AS app_schools
       FROM (
         SELECT app_id, license_id, local_date, school_id, active_users, explicit_seconds, ${IN_LICENSE} AS licensed
         FROM (${rollupRows(rollups, 'school', read, { columns: ['active_users', 'explicit_seconds'], newerMonths })}) AS r
         ALL LEFT JOIN ${licenseSide(w.districtId)} USING (district_id, app_id)
         WHERE licensed${o.apps ? ` OR local_date >= ${sqlDate(w.from)}` : ''}
       ) AS joined
       GROUP BY fine
     ) AS fines
     ARRAY JOIN ${COARSE_FIGURES} AS coarse
     GROUP BY coarse`,
  );
  const out: LicenseActivity = { totals: new Map(), schools: [], weeks: [], apps: new Map() };
  // Apps in id order (as ClickHouse's ORDER BY app_id), for the report's lists.
  rows.sort((a, b) => byText(a.owner, b.owner));
  for (const r of rows) {
    const active = Number(r.active);
    if (r.kind === 'window') out.totals.set(r.owner, { active, explicit_seconds: Number(r.seconds) });
    else if (r.kind === 'school') out.schools.push({ license_id: r.owner, school_id: r.grain, active });
    else if (r.kind === 'week') out.weeks.push({ license_id: r.owner, week: r.grain, active });
    else out.apps.set(r.owner, { app_id: r.owner, active, schools: r.schools });
  }
  out.weeks.sort((a, b) => byText(a.license_id, b.license_id) || byText(a.week, b.week));
  return out;
}

/**
 * SQL: a joined row is among the license-days left by the counts: any term day of an uncounted
 * license, or a day of another license's ranges left. Ranges per license, not a key per day: a long
 * window of many licenses' days as keys could pass ClickHouse's 256 KiB query limit.
 */
function leftCondition(uncounted: ReadonlySet<string>, left: ReadonlyMap<string, readonly string[]>): string {
  const parts = [
    ...(uncounted.size === 0
      ? []
      : [
          `(license_id IN (${[...uncounted].map(sqlString).join(', ')}) AND local_date >= l_start AND local_date <= l_end)`,
        ]),
    ...[...left]
      .filter(([, days]) => days.length > 0)
      .map(
        ([license, days]) =>
          `(license_id = ${sqlString(license)} AND (${dayRanges(days)
            .map((r) => `local_date BETWEEN ${sqlDate(r.from)} AND ${sqlDate(r.to)}`)
            .join(' OR ')}))`,
      ),
  ];
  return parts.length === 0 ? '0' : `(${parts.join(' OR ')})`;
}

/** Every day of the given weeks (Mondays) within [from, to]. */
const daysOfWeeks = (mondays: Iterable<string>, from: string, to: string) =>
  [...mondays].flatMap((m) => daysOf(m > from ? m : from, addDays(m, 6) < to ? addDays(m, 6) : to));

/**
 * The weekly trend from the trend start to the window end (∩ term), as licenseActivity's `weeks`, with
 * stored counts: the counted weeks, plus the weeks left merged from the school rollup's states of
 * those weeks' days only (usually the weeks cut by a term or the window end, and months not
 * compacted); an uncounted license's weeks from all its days.
 */
export async function trendWeeks(
  ch: ClickHouseClient,
  w: Window,
  counted: CountedFigures,
): Promise<LicenseActivity['weeks']> {
  const weeks = [...counted.weeks];
  const from = counted.trendStart;
  // Per license, the days of its weeks left (clipped to the trend's days; the term clips the rest).
  const left = new Map([...counted.weeksLeft].map(([license, mondays]) => [license, daysOfWeeks(mondays, from, w.to)]));
  if (left.size > 0 || counted.uncounted.size > 0) {
    const ranges =
      counted.uncounted.size > 0 ? [{ from, to: w.to }] : dayRanges([...left.values()].flatMap((days) => days));
    const rows = ranges
      .map((r) => rollupRows(counted.rollups, 'school', { ...w, ...r }, { columns: ['active_users'] }))
      .join('\n  UNION ALL ');
    const merged = await queryRows<{ license_id: string; week: string; active: Num }>(
      ch,
      `SELECT license_id, toString(toMonday(local_date)) AS week, uniqExactMerge(active_users) AS active
       FROM (${rows}) AS r
       ALL INNER JOIN ${licenseSide(w.districtId)} USING (district_id, app_id)
       WHERE ${IN_LICENSE} AND ${leftCondition(counted.uncounted, left)}
       GROUP BY license_id, week`,
    );
    // One by one: a state's licenses × weeks can outnumber what a spread may pass as arguments.
    for (const r of merged) weeks.push({ license_id: r.license_id, week: r.week, active: Number(r.active) });
  }
  return weeks.sort((a, b) => byText(a.license_id, b.license_id) || byText(a.week, b.week));
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
export async function activeMinutes(
  ch: ClickHouseClient,
  w: Window,
  counted?: CountedFigures,
): Promise<Map<string, number>> {
  const out = new Map<string, number>(counted?.minutes ?? []);
  const rollups = counted?.rollups ?? (await stateToRead(ch, w.rollups));
  // With counts, only the license-days left are merged, over the days from the first to the last of
  // them (all the window when a license is uncounted).
  const span =
    counted === undefined || counted.uncounted.size > 0
      ? [w]
      : dayRanges([...counted.daysLeft.values()].flatMap((d) => [...d]));
  if (span.length === 0) return out;
  const readFrom = span[0]!.from;
  const readTo = span[span.length - 1]!.to;
  for (let from = readFrom; from <= readTo; from = addDays(from, MINUTES_CHUNK_DAYS)) {
    const last = addDays(from, MINUTES_CHUNK_DAYS - 1);
    const chunk = { ...w, from, to: last < readTo ? last : readTo };
    const days =
      counted === undefined
        ? undefined
        : leftCondition(
            counted.uncounted,
            new Map(
              [...counted.daysLeft].map(([license, d]) => [
                license,
                [...d].filter((x) => x >= chunk.from && x <= chunk.to),
              ]),
            ),
          );
    if (days === '0') continue; // no day of this chunk is left
    const perDay = licensedActivity(
      rollups,
      chunk,
      ['active_minutes'],
      'license_id, local_date, uniqExactIfMerge(active_minutes) AS day_minutes',
      'license_id, local_date',
      days,
    );
    const rows = await queryRows<{ license_id: string; minutes: Num }>(
      ch,
      `SELECT license_id, sum(day_minutes) AS minutes FROM (${perDay}) AS per_day GROUP BY license_id`,
    );
    for (const r of rows) out.set(r.license_id, (out.get(r.license_id) ?? 0) + Number(r.minutes));
  }
  return out;
}
