import type { StudentWindow } from '../usage';

/** A set of students the analysis reports on: the district, or one school, class, grade or place of use. */
export interface Group {
  dimension: 'district' | 'school' | 'class' | 'grade' | 'campus';
  /** '' for the district; the school/class id, the grade, or `mostly_on` / `mostly_off`. */
  id: string;
  students: StudentWindow[];
}

/** Share of a student's engaged time spent on a school network (null for students who did not use the app). */
export function onCampusShare(s: StudentWindow): number | null {
  return s.engagedSeconds > 0 ? Math.min(1, s.onCampusSeconds / s.engagedSeconds) : null;
}

/**
 * The district and every subgroup: schools, classes, grades, and users by where they mostly used the app
 * (≥ 50 % of engaged time on campus or not). Students without a single school or class are in the
 * district only for those dimensions; non-users are in no campus group.
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
  by('campus', (s) => {
    const share = onCampusShare(s);
    return share === null ? null : share >= 0.5 ? 'mostly_on' : 'mostly_off';
  });
  return groups;
}
