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
  const tables = new NestedTables(groups, bandCounts, start);
  for (const family of nestedFamilies(groups)) tables.linkFamily(family);
  const byDimension = SUBGROUPS.map((d) => groups.flatMap((g, i) => (g.dimension === d ? [i] : []))).filter(
    (list) => list.length > 0,
  );
  for (let changed = true; changed;) {
    changed = tables.protect(k);
    for (const list of byDimension) if (tables.hideAgainstDistrict(list, k)) changed = true;
  }
  return tables.hidden();
}

/** A parent group and its children of one dimension that lie wholly in it. */
interface Family {
  parent: number;
  dimension: Subgroup;
  children: number[];
}

/** Parent → children of one dimension lying in it; the district (index 0) holds every group. */
function nestedFamilies(groups: readonly Group[]): Family[] {
  const index = new Map(groups.map((g, i) => [`${g.dimension}\u0000${g.id}`, i]));
  const families = new Map<string, Family>();
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
  return [...families.values()];
}

/** A figure and its bands as cells of the linked tables (a group, or a remainder of one). */
interface Part {
  n: number;
  bands: readonly number[];
  nCell: number;
  bandCells: readonly number[];
}

/**
 * The groups' figures as cells of linked tables (`protectLinked`): each group's n and bands, and the
 * sums that tie a parent to its children and a remainder.
 */
class NestedTables {
  private readonly cells: LinkedCell[] = [];
  private readonly sums: LinkedSum[] = [];
  private readonly nCell: number[];
  private readonly bandCell: number[][];
  private readonly groupOfCell: Map<number, number>;
  /** Each student's position in the district, and group of each dimension (−1: none). */
  private readonly position: Map<StudentWindow, number>;
  private readonly memberOf: Record<Subgroup, Int32Array>;

  constructor(
    private readonly groups: readonly Group[],
    private readonly bandCounts: readonly number[][],
    start: HiddenCells,
  ) {
    this.nCell = groups.map((g, i) =>
      this.add({ n: g.students.length, kind: 'published', hidden: start.group[i]!, fixed: g.dimension === 'district' }),
    );
    this.bandCell = groups.map((_, i) =>
      bandCounts[i]!.map((n, b) => this.add({ n, kind: 'published', hidden: start.group[i]! || start.bands[i]![b]! })),
    );
    groups.forEach((g, i) =>
      this.sums.push({ total: this.nCell[i]!, cells: this.bandCell[i]!, size: g.students.length }),
    );
    this.groupOfCell = new Map(this.nCell.map((cell, i) => [cell, i]));
    const everyone = groups[0]!.students;
    this.position = new Map(everyone.map((s, i) => [s, i]));
    this.memberOf = Object.fromEntries(SUBGROUPS.map((d) => [d, new Int32Array(everyone.length).fill(-1)])) as Record<
      Subgroup,
      Int32Array
    >;
    groups.forEach((g, i) => {
      if (g.dimension !== 'district') for (const s of g.students) this.memberOf[g.dimension][this.position.get(s)!] = i;
    });
  }

  /** Links a family, and the whole groups of other dimensions its remainder holds. */
  linkFamily({ parent, dimension, children }: Family): void {
    const rest = this.link(this.part(parent), children);
    if (rest === null) return;
    // A remainder can itself be whole groups of another dimension (a school minus its one grade is its
    // other classes): those groups are its children, so that learning the remainder learns them.
    const inChildren = new Set(children);
    const restStudents = this.groups[parent]!.students.filter(
      (s) => !inChildren.has(this.memberOf[dimension][this.position.get(s)!]!),
    );
    for (const other of SUBGROUPS) {
      if (other === dimension) continue;
      const inRest = new Map<number, number>();
      for (const s of restStudents) {
        const h = this.memberOf[other][this.position.get(s)!]!;
        if (h >= 0) inRest.set(h, (inRest.get(h) ?? 0) + 1);
      }
      const whole = [...inRest].filter(([h, n]) => n === this.groups[h]!.students.length).map(([h]) => h);
      if (whole.length > 0) this.link(rest, whole);
    }
  }

  /** `protectLinked` over every sum; whether it hid anything. */
  protect(k: number): boolean {
    return protectLinked(this.cells, this.sums, k, (cell) => {
      const g = this.groupOfCell.get(cell);
      return g === undefined ? [] : this.bandCell[g]!;
    });
  }

  /**
   * One dimension's groups against the district: `suppress`'s rule on their n (a one-column table),
   * then their band columns against the district's bands (hidden groups are rows of hidden cells).
   * Whether it hid anything.
   */
  hideAgainstDistrict(list: readonly number[], k: number): boolean {
    let changed = false;
    const groupsHidden = suppressTable(
      list.map((g) => [this.groups[g]!.students.length]),
      list.map((g) => [this.cells[this.nCell[g]!]!.hidden]),
      k,
    );
    list.forEach((g, r) => {
      if (!groupsHidden[r]![0] || this.cells[this.nCell[g]!]!.hidden) return;
      for (const c of [this.nCell[g]!, ...this.bandCell[g]!]) this.cells[c]!.hidden = true;
      changed = true;
    });
    const bandsHidden = suppressTable(
      list.map((g) => this.bandCounts[g]!),
      list.map((g) => this.bandCell[g]!.map((c) => this.cells[c]!.hidden)),
      k,
    );
    list.forEach((g, r) =>
      this.bandCell[g]!.forEach((c, b) => {
        if (!bandsHidden[r]![b] || this.cells[c]!.hidden) return;
        this.cells[c]!.hidden = true;
        changed = true;
      }),
    );
    return changed;
  }

  hidden(): HiddenCells {
    return {
      group: this.nCell.map((c) => this.cells[c]!.hidden),
      bands: this.bandCell.map((list) => list.map((c) => this.cells[c]!.hidden)),
    };
  }

  private add(cell: LinkedCell): number {
    return this.cells.push(cell) - 1;
  }

  private part(group: number): Part {
    return {
      n: this.groups[group]!.students.length,
      bands: this.bandCounts[group]!,
      nCell: this.nCell[group]!,
      bandCells: this.bandCell[group]!,
    };
  }

  /** parent = Σ children + remainder, for n and per band; returns the remainder (null: empty). */
  private link(parent: Part, children: readonly number[]): Part | null {
    const restN = parent.n - children.reduce((t, c) => t + this.groups[c]!.students.length, 0);
    const restBands = parent.bands.map((n, b) => n - children.reduce((t, c) => t + this.bandCounts[c]![b]!, 0));
    const rest = restN > 0 ? this.add({ n: restN, kind: 'remainder', hidden: true }) : undefined;
    const restBand = rest === undefined ? [] : restBands.map((n) => this.add({ n, kind: 'remainder', hidden: true }));
    const plus = (list: number[], r: number | undefined) => (r === undefined ? list : [...list, r]);
    this.sums.push({
      total: parent.nCell,
      cells: plus(
        children.map((c) => this.nCell[c]!),
        rest,
      ),
      size: parent.n,
    });
    parent.bandCells.forEach((total, b) =>
      this.sums.push({
        total,
        cells: plus(
          children.map((c) => this.bandCell[c]![b]!),
          restBand[b],
        ),
        size: parent.n,
      }),
    );
    if (rest === undefined) return null;
    this.sums.push({ total: rest, cells: restBand, size: restN });
    return { n: restN, bands: restBands, nCell: rest, bandCells: restBand };
  }
}
