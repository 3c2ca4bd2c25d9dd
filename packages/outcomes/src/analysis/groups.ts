import type { StudentWindow } from '../usage';

/** A set of students the analysis reports on: the district, or one school, class, grade or place of use. */
export interface Group {
  dimension: 'district' | 'school' | 'class' | 'grade' | 'campus';
  /** '' for the district; the school/class id, the grade, or a `CampusGroup`. */
  id: string;
  students: StudentWindow[];
}

/**
 * Where a student used the app: the share of their engaged time with a known place (campus 'on' or 'off';
 * 'unknown' = an event without an IP, e.g. Caliper) that was on a school network.
 *   mostly_on  share ≥ 2/3
 *   mixed      1/3 < share < 2/3
 *   mostly_off share ≤ 1/3
 *   unknown    used the app, but no engaged time with a known place
 * Students without engaged time (the `none` band) have no place of use and are in no campus group.
 */
export const CAMPUS_GROUPS = ['mostly_on', 'mixed', 'mostly_off', 'unknown'] as const;
export type CampusGroup = (typeof CAMPUS_GROUPS)[number];

/** On-campus share of the engaged time with a known place (null when there is none). */
export function onCampusShare(s: StudentWindow): number | null {
  return s.knownCampusSeconds > 0 ? s.onCampusSeconds / s.knownCampusSeconds : null;
}

/** The student's campus group (see CAMPUS_GROUPS), null for students without engaged time. */
export function campusGroup(s: StudentWindow): CampusGroup | null {
  if (s.engagedSeconds <= 0) return null;
  const on = s.onCampusSeconds;
  const known = s.knownCampusSeconds;
  if (known <= 0) return 'unknown';
  // Whole seconds: compared as integers, so a share of exactly 1/3 or 2/3 is not lost to rounding.
  if (3 * on >= 2 * known) return 'mostly_on';
  if (3 * on <= known) return 'mostly_off';
  return 'mixed';
}

/**
 * The district and every subgroup: schools, classes, grades, and users by where they used the app
 * (`campusGroup`). Students without a single school or class are in the district only for those
 * dimensions.
 */
export function groupsOf(students: readonly StudentWindow[]): Group[] {
  const groups: Group[] = [{ dimension: 'district', id: '', students: [...students] }];
  const by = (dimension: Group['dimension'], key: (s: StudentWindow) => string | null) => {
    const map = new Map<string, StudentWindow[]>();
    for (const s of students) {
      const k = key(s);
      if (k === null || k === '') continue;
      const list = map.get(k) ?? [];
      list.push(s);
      map.set(k, list);
    }
    for (const [id, list] of [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      groups.push({ dimension, id, students: list });
  };
  by('school', (s) => s.schoolId);
  by('class', (s) => s.classId);
  by('grade', (s) => s.grade);
  by('campus', campusGroup);
  return groups;
}
