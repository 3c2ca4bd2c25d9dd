/**
 * Weekly app usage of students per district, school and grade, suppressed for the research database.
 * Active students are distinct people over the whole week (merged uniqExact states, never a sum of
 * daily counts). District and school figures come from the rollups the reports read; grades are not in
 * the rollups, so the grade figures are computed from the current version of the week's events
 * (usage_events or its latest revision, docs/ARCHITECTURE.md "Late roster") joined to the current
 * roster's grade of each person. Each student has one grade (the first roster grade, '' when not in the
 * roster), so the grade cells partition the district cell exactly; a student active at two schools
 * counts at both, so school cells may add up to more than the district cell.
 *
 * Only apps the district knows are row keys (docs/DATA_DICTIONARY.md "Apps the district knows"): an app of its license
 * inventory, or one the catalog resolved every student event of in the week (never a `domain:<host>`).
 * Any other app id is what a sender sent or a host a student visited (a personal site's host names
 * its owner), so all such use is one row per cell with app_id UNRESOLVED_APP, its active students
 * merged from the apps' uniqExact states (distinct over the apps, not a sum).
 */
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { currentEventsOfDays } from '@edusage/reports';
import { readCompactionState, rollupRows, type CompactionState, type RollupLevel } from '@edusage/rollups';
import { protectSchoolsAndGrades, type LinkedGroup } from './school-grade-links';
import { suppressCells } from './suppression';
import { weekDays } from './weeks';

export interface UsageCounts {
  district_id: string;
  app_id: string;
  active: number;
  events: number;
  engaged_seconds: number;
}

export interface UsageRow {
  week_start: string;
  district_id: string;
  app_id: string;
  active_students: number | null;
  events: number | null;
  engaged_hours: number | null;
  suppressed: number;
  k: number;
}

export type SchoolUsageRow = UsageRow & { school_id: string };
export type GradeUsageRow = UsageRow & { grade: string };

type Num = string | number;
type Raw = { district_id: string; app_key: string; active: Num; events: Num; engaged_seconds: Num };

const toCounts = <T extends Raw>({ app_key, ...r }: T): Omit<T, 'app_key'> & UsageCounts => ({
  ...r,
  app_id: app_key,
  active: Number(r.active),
  events: Number(r.events),
  engaged_seconds: Number(r.engaged_seconds),
});

/** The app_id of the use of every app the district does not know (one row per cell). */
export const UNRESOLVED_APP = 'unresolved';

/**
 * SQL: (district_id, app_id) of the apps the district knows in the week: its license inventory, and the
 * apps whose students' events of the week the catalog all resolved (unresolved_app_events = 0), except
 * `domain:<host>` ids (the catalog never resolves to one; rows folded before migration 0004 have an
 * empty unresolved-app state).
 */
function knownApps(rollups: CompactionState, from: string, to: string): string {
  return `SELECT district_id, app_id FROM licenses_current
    UNION ALL
    SELECT district_id, app_id
    FROM (${rollupRows(rollups, 'district', { from, to }, { columns: ['unresolved_app_events'], where: "role = 'student'" })}) AS k
    GROUP BY district_id, app_id
    HAVING sumMerge(unresolved_app_events) = 0 AND NOT startsWith(app_id, 'domain:')`;
}

/** SQL: a row's published app key (named app_key: an alias named like its column trips 18.16). */
const appKey = (known: string) => `if((district_id, app_id) IN (${known}), app_id, '${UNRESOLVED_APP}') AS app_key`;

const ROLLUP_MEASURES = `uniqExactMerge(active_users) AS active, sumMerge(events) AS events,
  sumMerge(explicit_seconds) + 60 * uniqExactIfMerge(active_minutes) AS engaged_seconds`;

/**
 * Rollup rows of the week's students, every district, per `keys` and app key; empty re-fold cells
 * (0 events) are not cells.
 */
function rollupQuery(rollups: CompactionState, level: RollupLevel, keys: string, from: string, to: string): string {
  return `SELECT ${keys}, ${appKey(knownApps(rollups, from, to))}, ${ROLLUP_MEASURES}
    FROM (${rollupRows(rollups, level, { from, to }, { columns: ['active_users', 'events', 'explicit_seconds', 'active_minutes'], where: "role = 'student'" })}) AS r
    GROUP BY ${keys}, app_key HAVING events > 0`;
}

/** The columns the grade figures read of each event's current version. */
const GRADE_EVENT_COLUMNS = [
  'district_id',
  'school_id',
  'person_id',
  'role',
  'app_id',
  'occurred_at',
  'explicit_seconds',
  'counts_minute',
];

/** A week of a large district does not fit in memory: the sort picking current versions spills to disk. */
const EXTERNAL_SORT_BYTES = 500_000_000;

/**
 * SQL: the grade cells (by_school = 0) and the school × grade counts (by_school = 1, never published:
 * `protectSchoolsAndGrades` audits the school and grade cells with them) in one pass over the week's
 * current events: each event counts once per scope, picked by `arrayJoin`, so the versions' sort and the
 * roster join run once.
 */
function gradeCellsQuery(rollups: CompactionState, from: string, to: string): string {
  return `SELECT district_id, arrayJoin([(0, ''), (1, school_id)]) AS scope, tupleElement(scope, 1) AS by_school,
      tupleElement(scope, 2) AS school_key, grade, ${appKey(knownApps(rollups, from, to))},
      uniqExact(person_id) AS active, count() AS events,
      sum(toUInt64(explicit_seconds)) + 60 * uniqExactIf(person_id, toStartOfMinute(occurred_at), counts_minute) AS engaged_seconds
    FROM (SELECT * FROM ${currentEventsOfDays({ from, to }, GRADE_EVENT_COLUMNS)} WHERE role = 'student') AS e
    ANY LEFT JOIN (SELECT district_id, person_id, grade FROM dim_people_current) AS p USING (district_id, person_id)
    GROUP BY district_id, scope, grade, app_key
    SETTINGS max_bytes_before_external_sort = ${EXTERNAL_SORT_BYTES}`;
}

/** Distinct students of one school × grade × app key in the week. */
export interface SchoolGradeCount {
  district_id: string;
  app_id: string;
  school_id: string;
  grade: string;
  active: number;
}

export interface WeeklyUsageCounts {
  district: UsageCounts[];
  school: (UsageCounts & { school_id: string })[];
  grade: (UsageCounts & { grade: string })[];
  /** What links the school cells to the grade cells (not published). */
  schoolGrade: SchoolGradeCount[];
}

/** The unsuppressed counts of one week (never published as they are). */
export async function weeklyUsageCounts(ch: ClickHouseClient, weekStart: string): Promise<WeeklyUsageCounts> {
  const { from, to } = weekDays(weekStart);
  const rollups = await readCompactionState(ch);
  const [district, school, gradeCells] = await Promise.all([
    queryRows<Raw>(ch, rollupQuery(rollups, 'district', 'district_id', from, to)),
    queryRows<Raw & { school_id: string }>(ch, rollupQuery(rollups, 'school', 'district_id, school_id', from, to)),
    queryRows<Raw & { by_school: Num; school_key: string; grade: string }>(ch, gradeCellsQuery(rollups, from, to)),
  ]);
  const grade: (UsageCounts & { grade: string })[] = [];
  const schoolGrade: SchoolGradeCount[] = [];
  for (const { by_school, school_key, grade: g, ...cell } of gradeCells) {
    // Named fields only: the row also holds the query's `scope` tuple.
    const { district_id, app_id, active, events, engaged_seconds } = toCounts(cell);
    if (Number(by_school) === 0) grade.push({ district_id, app_id, grade: g, active, events, engaged_seconds });
    else schoolGrade.push({ district_id, app_id, school_id: school_key, grade: g, active });
  }
  return { district: district.map(toCounts), school: school.map(toCounts), grade, schoolGrade };
}

const cellKey = (c: { district_id: string; app_id: string }) => JSON.stringify([c.district_id, c.app_id]);

function publish<T extends UsageCounts>(
  cell: T,
  hidden: boolean,
  weekStart: string,
  k: number,
): Omit<T, 'active' | 'engaged_seconds' | 'events'> & UsageRow {
  const { active, events, engaged_seconds, ...keys } = cell;
  return {
    ...keys,
    week_start: weekStart,
    active_students: hidden ? null : active,
    events: hidden ? null : events,
    engaged_hours: hidden ? null : engaged_seconds / 3600,
    suppressed: hidden ? 1 : 0,
    k,
  };
}

export interface WeeklyUsageRows {
  district: UsageRow[];
  school: SchoolUsageRow[];
  grade: GradeUsageRow[];
}

/**
 * Suppresses one week's counts: every cell with 1 ≤ active < k, and, within each district × app whose
 * district cell is published, the school cells and the grade cells as the complementary rule asks.
 */
export function suppressWeeklyUsage(counts: WeeklyUsageCounts, weekStart: string, k: number): WeeklyUsageRows {
  const districtHidden = suppressCells(counts.district, {
    n: (c) => c.active,
    groupOf: cellKey,
    publishedTotal: () => undefined,
    k,
  });
  // The district cell's count is the total of its school cells and of its grade cells (the school
  // cells may add up to more: "total − shown schools" is checked too).
  const published = new Map(
    counts.district.flatMap((c, i) => (districtHidden[i] ? [] : [[cellKey(c), c.active] as const])),
  );
  const children = <T extends UsageCounts>(cells: T[]) =>
    suppressCells(cells, { n: (c) => c.active, groupOf: cellKey, publishedTotal: (g) => published.get(g), k });
  const schoolHidden = children(counts.school);
  const gradeHidden = children(counts.grade);
  protectLinkedCells(counts, { district: districtHidden, school: schoolHidden, grade: gradeHidden }, k);
  return {
    district: counts.district.map((c, i) => publish(c, districtHidden[i]!, weekStart, k)),
    school: counts.school.map((c, i) => publish(c, schoolHidden[i]!, weekStart, k)),
    grade: counts.grade.map((c, i) => publish(c, gradeHidden[i]!, weekStart, k)),
  };
}

/**
 * Audits each published district × app's school and grade cells together (`protectSchoolsAndGrades`)
 * and hides more of them (`hidden`, in the counts' order) where their links give a cell away.
 */
function protectLinkedCells(
  counts: WeeklyUsageCounts,
  hidden: { district: boolean[]; school: boolean[]; grade: boolean[] },
  k: number,
): void {
  // Per district × app: its linked cells, and where each sits in `hidden` (district, school, grade rows).
  const groups = new Map<
    string,
    { group: LinkedGroup; district: number; school: Map<string, number>; grade: Map<string, number> }
  >();
  counts.district.forEach((c, i) => {
    if (hidden.district[i]) return;
    const group: LinkedGroup = {
      district: { active: c.active, hidden: false },
      schools: new Map(),
      grades: new Map(),
      bySchoolGrade: new Map(),
    };
    groups.set(cellKey(c), { group, district: i, school: new Map(), grade: new Map() });
  });
  counts.school.forEach((c, i) => {
    const entry = groups.get(cellKey(c));
    entry?.group.schools.set(c.school_id, { active: c.active, hidden: hidden.school[i]! });
    entry?.school.set(c.school_id, i);
  });
  counts.grade.forEach((c, i) => {
    const entry = groups.get(cellKey(c));
    entry?.group.grades.set(c.grade, { active: c.active, hidden: hidden.grade[i]! });
    entry?.grade.set(c.grade, i);
  });
  for (const c of counts.schoolGrade) {
    const by = groups.get(cellKey(c))?.group.bySchoolGrade;
    if (by === undefined) continue;
    const grades = by.get(c.school_id) ?? new Map<string, number>();
    grades.set(c.grade, c.active);
    by.set(c.school_id, grades);
  }
  for (const { group, district, school, grade } of groups.values()) {
    if (!protectSchoolsAndGrades(group, k)) continue;
    for (const [id, cell] of group.schools) hidden.school[school.get(id)!] = cell.hidden;
    for (const [id, cell] of group.grades) hidden.grade[grade.get(id)!] = cell.hidden;
    hidden.district[district] = group.district.hidden;
  }
}

/** A usage cell as a license figure is compared with it: its unsuppressed count, and whether it is hidden. */
export interface UsageCell {
  active: number;
  hidden: boolean;
}

/** The week's usage cells by key: district × app, and district × school × app. */
export interface UsageCellIndex {
  district(districtId: string, appId: string): UsageCell | undefined;
  school(districtId: string, schoolId: string, appId: string): UsageCell | undefined;
}

/** Indexes one week's counts with their suppression (suppressWeeklyUsage's rows, in the counts' order). */
export function usageCellIndex(counts: WeeklyUsageCounts, rows: WeeklyUsageRows): UsageCellIndex {
  const index = <T extends UsageCounts>(cells: readonly T[], published: readonly UsageRow[], key: (c: T) => string) =>
    new Map(cells.map((c, i) => [key(c), { active: c.active, hidden: published[i]!.suppressed === 1 }]));
  const district = index(counts.district, rows.district, cellKey);
  const school = index(counts.school, rows.school, (c) => JSON.stringify([c.district_id, c.school_id, c.app_id]));
  return {
    district: (districtId, appId) => district.get(JSON.stringify([districtId, appId])),
    school: (districtId, schoolId, appId) => school.get(JSON.stringify([districtId, schoolId, appId])),
  };
}
