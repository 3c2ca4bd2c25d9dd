import type { StudentWindow } from '../usage';
import { campusGroup, type Group } from './groups';
import { protectLinked, suppressTable, type LinkedCell, type LinkedSum } from './suppression';

const SUBGROUPS = ['school', 'class', 'grade', 'campus'] as const;
type Subgroup = (typeof SUBGROUPS)[number];

const KEY: Record<Subgroup, (s: StudentWindow) => string | null> = {
  school: (s) => s.schoolId || null,
  class: (s) => s.classId || null,
  grade: (s) => s.grade || null,
  campus: campusGroup,
};

/** What the analysis hides: whole groups, and bands of the groups it shows. Index = the group's. */
export interface HiddenCells {
  group: boolean[];
  bands: boolean[][];
}

/**
 * The small-cell rules across groups (README "Small cells"), on the groups' true n and band counts,
 * starting from `start` (groups under k, and each group's bands suppressed on its own):
 *
 * * Nested groups: a group lies in another of another dimension when all its students do (a class in
 *   its school, in its grade; a grade found in one school only; the district holds every group). The
 *   parent's figures are the sum of those children's and of a remainder (its students in none of them:
 *   students of no class, in a class across schools, …), per n and per band. With every group's bands
 *   adding up to its n, these sums are linked tables, suppressed with `protectLinked`: no hidden group
 *   or band can be worked out, however the published sums are combined one after another, nor a
 *   remainder of fewer than k students, nor fewer than k students together (the complement of a small
 *   class is first sought in its own school: a second class of the school).
 * * And, as before, per dimension against the district: hidden groups are never alone and count k or
 *   more (`suppress`'s rule), and the band columns pass `suppressTable`.
 *
 * Both are applied until neither hides anything more. `groups[0]` is the district.
 */
export function hideNested(
  groups: readonly Group[],
  bandCounts: readonly number[][],
  start: HiddenCells,
  k: number,
): HiddenCells {
  const cells: LinkedCell[] = [];
  const add = (cell: LinkedCell) => cells.push(cell) - 1;
  const nCell = groups.map((g, i) =>
    add({ n: g.students.length, kind: 'published', hidden: start.group[i]!, fixed: g.dimension === 'district' }),
  );
  const bandCell = groups.map((_, i) =>
    bandCounts[i]!.map((n, b) => add({ n, kind: 'published', hidden: start.group[i]! || start.bands[i]![b]! })),
  );
  const sums: LinkedSum[] = groups.map((g, i) => ({ total: nCell[i]!, cells: bandCell[i]!, size: g.students.length }));

  // Parent → children of one dimension lying in it.
  const index = new Map(groups.map((g, i) => [`${g.dimension}\u0000${g.id}`, i]));
  const families = new Map<string, { parent: number; dimension: Subgroup; children: number[] }>();
  const addChild = (parent: number, dimension: Subgroup, child: number) => {
    const key = `${parent}\u0000${dimension}`;
    const family = families.get(key) ?? { parent, dimension, children: [] };
    family.children.push(child);
    families.set(key, family);
  };
  groups.forEach((g, i) => {
    if (g.dimension === 'district') return;
    addChild(0, g.dimension, i);
    for (const dimension of SUBGROUPS) {
      if (dimension === g.dimension) continue;
      const key = KEY[dimension](g.students[0]!);
      if (key === null || !g.students.every((s) => KEY[dimension](s) === key)) continue;
      const parent = index.get(`${dimension}\u0000${key}`);
      if (parent !== undefined) addChild(parent, g.dimension, i);
    }
  });
  // Each student's group of each dimension (−1: none), to find the students of a remainder.
  const everyone = groups[0]!.students;
  const position = new Map(everyone.map((s, i) => [s, i]));
  const memberOf = Object.fromEntries(SUBGROUPS.map((d) => [d, new Int32Array(everyone.length).fill(-1)])) as Record<
    Subgroup,
    Int32Array
  >;
  groups.forEach((g, i) => {
    if (g.dimension !== 'district') for (const s of g.students) memberOf[g.dimension][position.get(s)!] = i;
  });
  /** parent = Σ children + remainder, for n and per band; returns the remainder (null: empty). */
  const link = (
    parent: { n: number; bands: readonly number[]; nCell: number; bandCells: readonly number[] },
    children: readonly number[],
  ) => {
    const restN = parent.n - children.reduce((t, c) => t + groups[c]!.students.length, 0);
    const restBands = parent.bands.map((n, b) => n - children.reduce((t, c) => t + bandCounts[c]![b]!, 0));
    const rest = restN > 0 ? add({ n: restN, kind: 'remainder', hidden: true }) : undefined;
    const restBand = rest === undefined ? [] : restBands.map((n) => add({ n, kind: 'remainder', hidden: true }));
    const plus = (list: number[], r: number | undefined) => (r === undefined ? list : [...list, r]);
    sums.push({
      total: parent.nCell,
      cells: plus(
        children.map((c) => nCell[c]!),
        rest,
      ),
      size: parent.n,
    });
    parent.bandCells.forEach((total, b) =>
      sums.push({
        total,
        cells: plus(
          children.map((c) => bandCell[c]![b]!),
          restBand[b],
        ),
        size: parent.n,
      }),
    );
    if (rest === undefined) return null;
    sums.push({ total: rest, cells: restBand, size: restN });
    return { n: restN, bands: restBands, nCell: rest, bandCells: restBand };
  };
  for (const { parent, dimension, children } of families.values()) {
    const g = groups[parent]!;
    const rest = link(
      { n: g.students.length, bands: bandCounts[parent]!, nCell: nCell[parent]!, bandCells: bandCell[parent]! },
      children,
    );
    if (rest === null) continue;
    // A remainder can itself be whole groups of another dimension (a school minus its one grade is its
    // other classes): those groups are its children, so that learning the remainder learns them.
    const inChildren = new Set(children);
    const restStudents = g.students.filter((s) => !inChildren.has(memberOf[dimension][position.get(s)!]!));
    for (const other of SUBGROUPS) {
      if (other === dimension) continue;
      const inRest = new Map<number, number>();
      for (const s of restStudents) {
        const h = memberOf[other][position.get(s)!]!;
        if (h >= 0) inRest.set(h, (inRest.get(h) ?? 0) + 1);
      }
      const whole = [...inRest].filter(([h, n]) => n === groups[h]!.students.length).map(([h]) => h);
      if (whole.length > 0) link(rest, whole);
    }
  }

  const groupOfCell = new Map(nCell.map((cell, i) => [cell, i]));
  const hideWith = (cell: number) => {
    const g = groupOfCell.get(cell);
    return g === undefined ? [] : bandCell[g]!;
  };
  const byDimension = SUBGROUPS.map((d) => groups.flatMap((g, i) => (g.dimension === d ? [i] : []))).filter(
    (list) => list.length > 0,
  );
  for (let changed = true; changed;) {
    changed = protectLinked(cells, sums, k, hideWith);
    for (const list of byDimension) {
      // One dimension's groups against the district's n: `suppress`'s rule (a one-column table).
      const groupsHidden = suppressTable(
        list.map((g) => [groups[g]!.students.length]),
        list.map((g) => [cells[nCell[g]!]!.hidden]),
        k,
      );
      list.forEach((g, r) => {
        if (!groupsHidden[r]![0] || cells[nCell[g]!]!.hidden) return;
        for (const c of [nCell[g]!, ...bandCell[g]!]) cells[c]!.hidden = true;
        changed = true;
      });
      // Their band columns against the district's bands (hidden groups are rows of hidden cells).
      const bandsHidden = suppressTable(
        list.map((g) => bandCounts[g]!),
        list.map((g) => bandCell[g]!.map((c) => cells[c]!.hidden)),
        k,
      );
      list.forEach((g, r) =>
        bandCell[g]!.forEach((c, b) => {
          if (!bandsHidden[r]![b] || cells[c]!.hidden) return;
          cells[c]!.hidden = true;
          changed = true;
        }),
      );
    }
  }
  return {
    group: nCell.map((c) => cells[c]!.hidden),
    bands: bandCell.map((list) => list.map((c) => cells[c]!.hidden)),
  };
}
