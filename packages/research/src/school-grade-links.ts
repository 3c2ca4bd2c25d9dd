/**
 * The school cells and the grade cells of one district × app × week are suppressed each within their
 * group, but they are linked: a school's students are the sum of its students per grade, and a grade's
 * the sum over its schools. Which grades a school teaches is public (a high school has no first grade),
 * so a grade taught at one school only is that school's share of the grade, and a shown school minus
 * its shown grades gives its one hidden grade away (the high school's 51 minus grades 9–11 = the 4
 * twelfth-graders hidden in the grade table). This audits both tables together with the outcomes
 * analysis' linked-table rule (`protectLinked` of @edusage/outcomes), whose remainders are the school ×
 * grade counts (never published; an empty one counts as known), and hides more cells until no hidden
 * cell and no school × grade count of 1 to k − 1 can be worked out.
 *
 * A student active at two schools counts at both, so "grade = the sum over its schools" and "district =
 * its schools" over-count: `protectLinked` checks what a reader works out from such a sum (its total
 * minus the members the reader knows), so "district minus the shown schools" is no small count either.
 */
import { protectLinked, type LinkedCell, type LinkedSum } from '@edusage/outcomes';

/** One cell of a district × app: its count, and whether it is hidden so far. */
export interface AuditedCell {
  active: number;
  hidden: boolean;
}

/** One district × app's cells with the school × grade counts of the same week. */
export interface LinkedGroup {
  district: AuditedCell;
  schools: Map<string, AuditedCell>;
  grades: Map<string, AuditedCell>;
  /** Distinct students active at a school in a grade: `bySchoolGrade.get(school)?.get(grade)`. */
  bySchoolGrade: Map<string, Map<string, number>>;
}

/**
 * Hides more school and grade cells of `group` (sets their `hidden`) until the linked sums give no
 * hidden cell and no small school × grade count away, and leave no sum's unknown part at 1 to k − 1;
 * whether it hid anything. The district cell may be hidden too when nothing else can protect a cell
 * (then it publishes no total).
 */
export function protectSchoolsAndGrades(group: LinkedGroup, k: number): boolean {
  const cells: LinkedCell[] = [];
  const audited: AuditedCell[] = [];
  const add = (c: AuditedCell) => {
    audited.push(c);
    cells.push({ n: c.active, kind: 'published', hidden: c.hidden });
    return cells.length - 1;
  };
  const district = add(group.district);
  const schools = [...group.schools].map(([id, c]) => ({ id, cell: add(c) }));
  const grades = [...group.grades].map(([id, c]) => ({ id, cell: add(c) }));
  const crossed = new Map<string, number>();
  for (const s of schools)
    for (const g of grades) {
      cells.push({ n: group.bySchoolGrade.get(s.id)?.get(g.id) ?? 0, kind: 'remainder', hidden: false });
      crossed.set(JSON.stringify([s.id, g.id]), cells.length - 1);
    }
  const cross = (s: string, g: string) => crossed.get(JSON.stringify([s, g]))!;
  const sums: LinkedSum[] = [
    { total: district, cells: grades.map((g) => g.cell), size: grades.length + schools.length },
    { total: district, cells: schools.map((s) => s.cell), size: grades.length + schools.length },
    ...schools.map((s) => ({ total: s.cell, cells: grades.map((g) => cross(s.id, g.id)), size: grades.length })),
    ...grades.map((g) => ({ total: g.cell, cells: schools.map((s) => cross(s.id, g.id)), size: schools.length })),
  ];
  const changed = protectLinked(cells, sums, k);
  audited.forEach((c, i) => (c.hidden = cells[i]!.hidden));
  return changed;
}
