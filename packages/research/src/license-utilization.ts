/**
 * Weekly license utilization for the research database: the per-license metrics of the licenses report
 * (packages/licenses, the one source of truth) over one Monday–Sunday week, suppressed
 * (docs/DATA_DICTIONARY.md "Suppression" 3). A hidden count is hidden together with every figure it can
 * be recovered from: `active` with utilization (active ÷ seats), unused seats (seats − active), reach
 * and engaged hours; `eligible` with reach. Costs are left out: a per-student cost is a head count
 * times a price.
 *
 * `eligible` (rostered people in a license's scope) depends on the scope only, not on the app, so the
 * scopes of all the district's licenses nest and add up: the district's students minus two schools'
 * gives the third's, "all" minus "students" gives the staff, and a school's head count caps its usage
 * cells (a hidden school cell is pinned when the hidden ones add up to their schools' head counts). It
 * is published only for the one scope nothing is subtracted from: every student of the district
 * (district-wide, students only, no grade band), when at least k.
 *
 * `active` is published only when it is a figure the usage tables already publish, so the license
 * table tells nothing about people that those tables (with their complementary suppression) do not:
 * a license of the `students` audience whose term covers the whole week counts exactly the students of
 * its app in its scope over the week, i.e. the district cell (district-wide) or its school's cell of
 * weekly_app_usage_*; its `active` is shown when it equals that cell's count and the cell is shown (or
 * when it is 0 and there is no cell: no use reveals nobody). Every other license hides it: one counting
 * teachers (`teachers`, `all`: the research tables count students only, and "students and teachers"
 * minus a student cell would give a teacher count), one whose term covers part of the week (a figure
 * finer than a week), one whose count disagrees with its cell. Several school-scoped licenses of one
 * app so publish only school cells the school table's complementary suppression left visible, and
 * "district minus licenses" recovers no hidden cell.
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import { buildLicenseReport, type LicenseMetrics } from '@edusage/licenses';
import { belowK } from './suppression';
import type { UsageCellIndex } from './weekly-usage';
import { weekDays } from './weeks';

export interface LicenseUtilizationRow {
  week_start: string;
  district_id: string;
  license_id: string;
  app_id: string;
  school_id: string;
  seats: number;
  unlimited_seats: number;
  eligible: number | null;
  active: number | null;
  utilization: number | null;
  reach: number | null;
  unused_seats: number | null;
  engaged_hours: number | null;
  eligible_suppressed: number;
  active_suppressed: number;
  k: number;
}

const isStudentsOnly = (l: LicenseMetrics['license']) =>
  l.audience_roles.length > 0 && l.audience_roles.every((r) => r === 'student');

/** Whether a license's scope is every student of the district: the one `eligible` that is published. */
export function isWholeStudentBody(l: LicenseMetrics['license']): boolean {
  return l.school_id === '' && l.grades.length === 0 && isStudentsOnly(l);
}

/** Whether a license's `active` is a usage cell the usage tables publish (see the module's comment). */
export function activeIsPublishedCell(
  m: LicenseMetrics,
  districtId: string,
  weekStart: string,
  cells: UsageCellIndex,
): boolean {
  const l = m.license;
  const { from, to } = weekDays(weekStart);
  const wholeWeek = l.term_start <= from && l.term_end >= to;
  const students = isStudentsOnly(l);
  const cell =
    l.school_id === '' ? cells.district(districtId, l.app_id) : cells.school(districtId, l.school_id, l.app_id);
  const sameAsShownCell = cell === undefined ? m.active === 0 : !cell.hidden && cell.active === m.active;
  return wholeWeek && students && sameAsShownCell;
}

export function suppressLicenseMetrics(
  m: LicenseMetrics,
  districtId: string,
  weekStart: string,
  k: number,
  cells: UsageCellIndex,
): LicenseUtilizationRow {
  const l = m.license;
  const hideActive = belowK(m.active, k) || !activeIsPublishedCell(m, districtId, weekStart, cells);
  const hideEligible = belowK(m.eligible, k) || !isWholeStudentBody(l);
  return {
    week_start: weekStart,
    district_id: districtId,
    license_id: l.license_id,
    app_id: l.app_id,
    school_id: l.school_id,
    seats: l.seats,
    unlimited_seats: l.unlimited_seats,
    eligible: hideEligible ? null : m.eligible,
    active: hideActive ? null : m.active,
    utilization: hideActive ? null : m.utilization,
    reach: hideActive || hideEligible ? null : m.reach,
    unused_seats: hideActive ? null : m.unused_seats,
    engaged_hours: hideActive ? null : m.engaged_hours,
    eligible_suppressed: hideEligible ? 1 : 0,
    active_suppressed: hideActive ? 1 : 0,
    k,
  };
}

/**
 * One district's week: the licenses report over Monday–Sunday, each license suppressed against the
 * week's usage cells (usageCellIndex of the same refresh).
 */
export async function weeklyLicenseUtilization(
  ch: ClickHouseClient,
  districtId: string,
  weekStart: string,
  k: number,
  cells: UsageCellIndex,
): Promise<LicenseUtilizationRow[]> {
  const { from, to } = weekDays(weekStart);
  const report = await buildLicenseReport(ch, { districtId, from, to });
  return report.licenses.map((m) => suppressLicenseMetrics(m, districtId, weekStart, k, cells));
}
