import {
  queryJsonArray,
  queryRows,
  sqlDate,
  sqlDateTime,
  sqlNumber,
  sqlString,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import {
  rollupRows,
  stateToRead,
  usageByCell,
  usageRead,
  type CompactionState,
  type RollupLevel,
  type UsageMeasures,
} from '@edusage/rollups';

/** An inclusive range of district-local days. */
export interface Period {
  districtId: string;
  from: string;
  to: string;
}

export interface UsageRow {
  app_id: string;
  active_users: number;
  events: number;
  engaged_seconds: number;
  active_days: number;
}
export interface SchoolUsageRow extends UsageRow {
  school_id: string;
}
export interface ClassUsageRow extends UsageRow {
  school_id: string;
  class_id: string;
}

/** Narrows a usage query to one school, class or app (the API's filters); absent = all. */
export interface UsageFilter {
  schoolId?: string;
  classId?: string;
  appId?: string;
}

/** Under which compactions a usage read reads the rollups. */
export interface UsageReadAs {
  /** Default: the current ones, with the contributions folded since (asOfCompactions: without). */
  rollups?: CompactionState;
}

/** The filter's conditions on the cell (undefined: none). */
function filters(f: UsageFilter): string | undefined {
  const conditions = [
    ...(f.schoolId === undefined ? [] : [`school_id = ${sqlString(f.schoolId)}`]),
    ...(f.classId === undefined ? [] : [`class_id = ${sqlString(f.classId)}`]),
    ...(f.appId === undefined ? [] : [`app_id = ${sqlString(f.appId)}`]),
  ];
  return conditions.length === 0 ? undefined : conditions.join(' AND ');
}

/** Byte order of ids as ClickHouse sorts them (same as UTF-16 order outside surrogate pairs). */
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Usage per cell of a level (app, school × app or class × app) over the period (usageByCell: the
 * month grain where it may be used, the day cells elsewhere). Engaged seconds = explicit durations +
 * 60 s per distinct (person, app, minute) of hit-style events; active users are distinct people
 * across all the period's days (merged states or a stored count of the same, not a sum). Ordered by
 * the leading keys (school, class), then most users, most events, app id. A month of class × app is
 * 45,000 rows: sorted on the cells, each row built once.
 */
async function usageBy<K extends string>(
  ch: ClickHouseClient,
  level: RollupLevel,
  keys: readonly K[],
  p: Period,
  f: UsageFilter,
  as: UsageReadAs,
): Promise<(Record<K, string> & UsageRow)[]> {
  const rollups = await stateToRead(ch, as.rollups);
  return rowsOfCells(keys, await usageByCell(ch, rollups, level, p, { where: filters(f) }));
}

/** The report's rows of usageByCell's cells, in the report's order (usageBy). */
function rowsOfCells<K extends string>(keys: readonly K[], cells: UsageMeasures[]): (Record<K, string> & UsageRow)[] {
  const app = keys.length - 1; // app_id is the last key of every level
  cells.sort((a, b) => {
    for (let i = 0; i < app; i++) {
      const c = byId(a.cell[i]!, b.cell[i]!);
      if (c !== 0) return c;
    }
    return b.active_users - a.active_users || b.events - a.events || byId(a.cell[app]!, b.cell[app]!);
  });
  return cells.map((c) => {
    const row: Record<string, string | number> = {};
    for (let i = 0; i < keys.length; i++) row[keys[i]!] = c.cell[i]!;
    row.active_users = c.active_users;
    row.events = c.events;
    row.engaged_seconds = c.explicit_seconds + 60 * c.active_minutes;
    row.active_days = c.active_days;
    return row as Record<K, string> & UsageRow;
  });
}

/**
 * A list already serialized: the text of a JSON array of `Row`s, as ClickHouse wrote it, to be sent as
 * it is (or parsed for CSV).
 */
export interface JsonRows<Row> {
  json: string;
  /** How many rows the text holds. */
  rows: number;
  /** Never set: keeps the row type with the text. */
  readonly row?: Row;
}

/** The rows of a usage report, as objects or as JSON text (usageListing). */
export type UsageListing<Row> = Row[] | JsonRows<Row>;

/**
 * usageBy's rows for a caller that sends them as JSON: a window that one compacted month's rows answer
 * alone (the usual month read) comes as ClickHouse's JSON text of the finished rows, named, computed
 * and ordered by ClickHouse as usageBy orders them (ids in byte order); any other window as usageBy's
 * objects. A month of class × app over HTTP: ~45,000 rows not parsed, built, sorted and serialized again.
 */
async function usageListing<K extends string>(
  ch: ClickHouseClient,
  level: RollupLevel,
  keys: readonly K[],
  p: Period,
  f: UsageFilter,
  as: UsageReadAs,
): Promise<UsageListing<Record<K, string> & UsageRow>> {
  const rollups = await stateToRead(ch, as.rollups);
  const leading = keys
    .slice(0, -1)
    .map((k) => `${k}, `)
    .join('');
  const read = await usageRead(ch, rollups, level, p, { where: filters(f) }, (monthRows) =>
    queryJsonArray(
      ch,
      `SELECT ${keys.join(', ')}, people AS active_users, events,
              explicit_seconds + 60 * active_minutes AS engaged_seconds, active_days
       FROM (${monthRows}) AS m
       ORDER BY ${leading}active_users DESC, events DESC, app_id`,
    ),
  );
  return read.from === 'month-rows' ? read.value : rowsOfCells(keys, read.cells);
}

/** A usage report's function: the rows of a period, narrowed by `f`, under `as`. */
type UsageReportFn<F, T> = (ch: ClickHouseClient, p: Period, f?: F, as?: UsageReadAs) => Promise<T>;

/**
 * A usage report of one level (`keys`: the level's cell columns in order, app_id last): its rows
 * (`rows`, usageBy) and, for a caller that sends them as JSON, the same rows or their JSON text
 * (`listing`, usageListing). The row type follows from the keys, so an export typed with a row the
 * keys do not make does not compile.
 */
function usageReport<K extends string, F extends UsageFilter>(level: RollupLevel, keys: readonly K[]) {
  type Row = Record<K, string> & UsageRow;
  const rows: UsageReportFn<F, Row[]> = (ch, p, f = {} as F, as = {}) => usageBy(ch, level, keys, p, f, as);
  const listing: UsageReportFn<F, UsageListing<Row>> = (ch, p, f = {} as F, as = {}) =>
    usageListing(ch, level, keys, p, f, as);
  return { rows, listing };
}

type DistrictFilter = Pick<UsageFilter, 'appId'>;
type SchoolFilter = Pick<UsageFilter, 'schoolId' | 'appId'>;
const districtReport = usageReport<'app_id', DistrictFilter>('district', ['app_id']);
const schoolReport = usageReport<'school_id' | 'app_id', SchoolFilter>('school', ['school_id', 'app_id']);
const classReport = usageReport<'school_id' | 'class_id' | 'app_id', UsageFilter>('class', [
  'school_id',
  'class_id',
  'app_id',
]);

/** Usage per app (usageBy); `…Listing`: the same for the API (rows or their JSON text). */
export const districtAppUsage: UsageReportFn<DistrictFilter, UsageRow[]> = districtReport.rows;
export const districtAppUsageListing: UsageReportFn<DistrictFilter, UsageListing<UsageRow>> = districtReport.listing;
/** Usage per school × app ('' = events attributed to no school). */
export const schoolAppUsage: UsageReportFn<SchoolFilter, SchoolUsageRow[]> = schoolReport.rows;
export const schoolAppUsageListing: UsageReportFn<SchoolFilter, UsageListing<SchoolUsageRow>> = schoolReport.listing;
/** Usage per class × app (events attributed to a class). */
export const classAppUsage: UsageReportFn<UsageFilter, ClassUsageRow[]> = classReport.rows;
export const classAppUsageListing: UsageReportFn<UsageFilter, UsageListing<ClassUsageRow>> = classReport.listing;

export interface UnresolvedSummary {
  total_events: number;
  unresolved_person_events: number;
  unresolved_app_events: number;
  unattributed_school_events: number;
  /**
   * The unresolved apps with the most unresolved events (ten unless asked otherwise): `domain:<host>` or
   * an app_id the catalog lacks. `events`: the app's unresolved events; `active_users`: the app's
   * distinct people over all its events in the period, resolved ones included (an id a catalog import
   * resolved mid-period has both). The rollups keep people per cell over all its events and only a sum
   * of the unresolved ones, so the people of the unresolved events alone cannot be counted.
   */
  top_unresolved_apps: { app_id: string; events: number; active_users: number }[];
}

export async function unresolvedSummary(
  ch: ClickHouseClient,
  p: Period,
  opts: { topApps?: number } = {},
  as: UsageReadAs = {},
): Promise<UnresolvedSummary> {
  const rollups = await stateToRead(ch, as.rollups);
  const [[totals], [schools], apps] = await Promise.all([
    queryRows<Record<string, string>>(
      ch,
      `SELECT sumMerge(events) AS total_events,
              sumMerge(unresolved_person_events) AS unresolved_person_events,
              sumMerge(unresolved_app_events) AS unresolved_app_events
       FROM (${rollupRows(rollups, 'district', p, { columns: ['events', 'unresolved_person_events', 'unresolved_app_events'] })}) AS r`,
    ),
    queryRows<Record<string, string>>(
      ch,
      `SELECT sumMerge(events) AS unattributed
       FROM (${rollupRows(rollups, 'school', p, { columns: ['events'], where: "school_id = ''" })}) AS r`,
    ),
    // Unresolved apps: `domain:<host>` for hosts no catalog knows, or an explicit app_id the catalog lacks.
    // `people`: over all the app's events (no rollup state counts people of unresolved events only).
    queryRows<{ app_id: string; unresolved_events: string; people: string }>(
      ch,
      `SELECT app_id, sumMerge(unresolved_app_events) AS unresolved_events, uniqExactMerge(active_users) AS people
       FROM (${rollupRows(rollups, 'district', p, { columns: ['unresolved_app_events', 'active_users'] })}) AS r
       GROUP BY app_id HAVING unresolved_events > 0 ORDER BY unresolved_events DESC, app_id LIMIT ${sqlNumber(opts.topApps ?? 10)}`,
    ),
  ]);
  return {
    total_events: Number(totals?.total_events ?? 0),
    unresolved_person_events: Number(totals?.unresolved_person_events ?? 0),
    unresolved_app_events: Number(totals?.unresolved_app_events ?? 0),
    unattributed_school_events: Number(schools?.unattributed ?? 0),
    top_unresolved_apps: apps.map((d) => ({
      app_id: d.app_id,
      events: Number(d.unresolved_events),
      active_users: Number(d.people),
    })),
  };
}

export interface DeadLetterCount {
  stage: string;
  source: string;
  reason_code: string;
  count: number;
}

/**
 * Rejected inputs by stage, source and reason, for a district (or with no district: unauthenticated
 * input). A bad input that a client re-sends (or that a stage re-rejects after a restart) is one input:
 * `count` is the number of distinct (district, reason field and line, payload SHA-256), while the
 * table keeps every dead letter as it came, with its origin, for the audit trail.
 */
export async function deadLetterSummary(
  ch: ClickHouseClient,
  districtId?: string,
  opts: { includeUnattributed?: boolean } = {},
): Promise<DeadLetterCount[]> {
  // With a district, letters of no district (their district could not be read) are included unless
  // includeUnattributed is false: the API leaves them out, since they may be another district's input.
  const districts =
    districtId === undefined
      ? null
      : opts.includeUnattributed === false
        ? sqlString(districtId)
        : `${sqlString(districtId)}, ''`;
  const filter = districts === null ? '' : `WHERE district_id IN (${districts})`;
  const rows = await queryRows<Omit<DeadLetterCount, 'count'> & { count: string }>(
    ch,
    `SELECT stage, source, reason_code,
            uniqExact(district_id, reason_field, reason_line, payload_sha256) AS count
     FROM dead_letters ${filter}
     GROUP BY stage, source, reason_code ORDER BY count DESC, stage, source, reason_code`,
  );
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

export interface DeadLetterDay extends DeadLetterCount {
  /** The UTC day this input was first rejected (YYYY-MM-DD). */
  day: string;
}

/**
 * A district's rejected inputs per day, stage, source and reason over [from, to] (UTC days: a dead
 * letter has no district-local day). Each distinct input (as `deadLetterSummary` counts them) is
 * counted once, on the day it was first rejected: a re-sent bad input adds nothing on later days, so
 * the days of all time add up to `deadLetterSummary`'s counts.
 */
export async function deadLetterDaily(
  ch: ClickHouseClient,
  districtId: string,
  days: { from: string; to: string },
): Promise<DeadLetterDay[]> {
  const end = new Date(Date.parse(`${days.to}T00:00:00Z`) + 86_400_000);
  const rows = await queryRows<Omit<DeadLetterDay, 'count'> & { count: string }>(
    ch,
    `SELECT toString(first_day) AS day, stage, source, reason_code, count() AS count
     FROM (
       SELECT stage, source, reason_code, toDate(min(failed_at)) AS first_day
       FROM dead_letters
       WHERE district_id = ${sqlString(districtId)} AND failed_at < ${sqlDateTime(end)}
       GROUP BY stage, source, reason_code, district_id, reason_field, reason_line, payload_sha256)
     WHERE first_day >= ${sqlDate(days.from)}
     GROUP BY first_day, stage, source, reason_code
     ORDER BY first_day, count DESC, stage, source, reason_code`,
  );
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

export interface DistrictFreshness {
  /** Stored events of the district (all time). */
  events: number;
  /** When the newest of them was stored (UTC, ISO 8601), '' if none. */
  last_stored_at: string;
  /** The latest time an event of the district says it happened (UTC, ISO 8601), '' if none. */
  last_occurred_at: string;
}

/** How fresh a district's stored usage is (the API's pipeline status). */
export async function districtFreshness(ch: ClickHouseClient, districtId: string): Promise<DistrictFreshness> {
  const [row] = await queryRows<{ events: string; stored: string; occurred: string }>(
    ch,
    `SELECT count() AS events, toString(max(stored_at)) AS stored, toString(max(occurred_at)) AS occurred
     FROM usage_events WHERE district_id = ${sqlString(districtId)}`,
  );
  const events = Number(row?.events ?? 0);
  const iso = (t: string | undefined) => (events === 0 || !t ? '' : `${t.replace(' ', 'T')}Z`);
  return { events, last_stored_at: iso(row?.stored), last_occurred_at: iso(row?.occurred) };
}
