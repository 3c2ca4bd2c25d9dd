/**
 * Small-cell suppression of a two-way table (groups × dosage bands) whose row totals (group n) and
 * column totals (the district's band n) are both published. Each row was suppressed on its own
 * (`bandTable`, with @edusage/stats `suppress`); a column can still give a hidden cell away as
 * column total − shown cells. So, with the same rule as `suppress` (a line needs more hiding while
 * exactly one of its occupied cells is hidden, or its hidden cells count fewer than k students; then the
 * smallest shown occupied cell is hidden too), every row and column is checked again until nothing
 * changes. Empty cells (n = 0) are shown unless a line's only remaining complement is one (then the
 * line's total minus its shown zeros would give the hidden cell away). Returns hidden[row][column].
 */
export function suppressTable(
  counts: readonly (readonly number[])[],
  alreadyHidden: readonly (readonly boolean[])[],
  k: number,
): boolean[][] {
  const hidden = alreadyHidden.map((row) => [...row]);
  const line = (cells: { r: number; c: number }[]): boolean => {
    const n = ({ r, c }: { r: number; c: number }) => counts[r]![c]!;
    const hiddenCells = cells.filter(({ r, c }) => hidden[r]![c]!);
    const hiddenN = hiddenCells.reduce((s, cell) => s + n(cell), 0);
    const exposed = hiddenN > 0 && (hiddenCells.length === 1 || hiddenN < k);
    if (!exposed) return false;
    // The smallest shown occupied cell; when only empty cells are shown, an empty one (else the
    // line's total minus its zeros would still give the hidden cell away).
    const shown = cells.filter(({ r, c }) => !hidden[r]![c]!);
    if (shown.length === 0) return false;
    const occupied = shown.filter((cell) => n(cell) > 0);
    const next = (occupied.length > 0 ? occupied : shown).reduce((a, b) => (n(b) < n(a) ? b : a));
    hidden[next.r]![next.c] = true;
    return true;
  };
  const columns = counts[0]?.length ?? 0;
  for (let changed = true; changed;) {
    changed = false;
    for (let r = 0; r < counts.length; r++) while (line(counts[r]!.map((_, c) => ({ r, c })))) changed = true;
    for (let c = 0; c < columns; c++) while (line(counts.map((_, r) => ({ r, c })))) changed = true;
  }
  return hidden;
}

/**
 * One figure of a set of linked tables (`protectLinked`): a group's n, one band of a group, or a
 * remainder (a parent's students in none of its listed children), with the sums of scores of the same
 * students (they are linked the same way as the counts).
 */
export interface LinkedCell {
  /** Students the figure counts. */
  n: number;
  /**
   * published: printed unless hidden; remainder: never printed, known only where the sums give it
   * away (an empty remainder counts as known: that a part is empty is easy to know).
   */
  kind: 'published' | 'remainder';
  hidden: boolean;
  /** Never hidden here (the district's n: the whole analysis would go). */
  fixed?: boolean;
}

/** total = Σ cells, for the counts and for every sum of scores. */
export interface LinkedSum {
  total: number;
  cells: readonly number[];
  /** Smaller first: a cell given away is protected in the innermost sum that gives it away. */
  size: number;
}

/**
 * Complementary suppression over linked tables: sums that share cells (a school's classes add up to the
 * school, the district's schools to the district, a group's bands to its n). A reader learns every cell
 * that is the only unknown of a sum whose other members are known (printed, or learnt that way), again
 * and again. Not allowed: learning a hidden cell (n > 0) or a remainder of 1 to k − 1 students, and a
 * sum whose known total leaves fewer than k students (but some) in its unknown cells. Sums are read
 * innermost first (smallest `size`); while something is given away, the sum that gave it away gets one
 * more cell hidden: its smallest shown occupied cell (an empty one when it has no other; else the same
 * in the sums that gave its other members away; else its total). So a small class's complement is
 * another class of its school before one elsewhere. `hideWith(i)` names the cells to hide along with
 * cell i (a group's bands with the group). Mutates `cells`; returns whether it hid anything. A greedy
 * heuristic (not the fewest cells), and it audits these sums only, not every combination of
 * crossed groups (e.g. campus groups × grades).
 */
export function protectLinked(
  cells: LinkedCell[],
  sums: readonly LinkedSum[],
  k: number,
  hideWith: (cell: number) => readonly number[] = () => [],
): boolean {
  const ranked = new RankedSums(cells, sums, k);
  const unfixable = new Set<string>();
  let changed = false;
  for (;;) {
    const reading = ranked.learn();
    const violations = ranked.violations(reading, unfixable);
    if (violations.length === 0) return changed;
    if (ranked.hideComplements(violations, reading, hideWith, unfixable)) changed = true;
  }
}

/** What a reader learns: `by[i]` = the sum (rank) that gave cell i away (−1: printed, or unknown). */
interface Reading {
  known: Uint8Array;
  by: Int32Array;
  /** Per sum (rank): its members not known. */
  unknown: Int32Array;
  /** Cells learnt, in the order learnt. */
  learnt: number[];
}

/** A sum (rank) giving a cell away (`cell`), or leaving 1 to k − 1 students unknown (`cell` −1). */
interface Violation {
  sum: number;
  cell: number;
}

/** `protectLinked`'s sums by rank (innermost first) as flat lists, and what a reader learns from them. */
class RankedSums {
  /** Members of sum r (its rank): members[start[r]] is its total, then its cells up to start[r + 1]. */
  private readonly start: Int32Array;
  private readonly members: Int32Array;
  /** The sums each cell is a member of. */
  private readonly memberOf: number[][];

  constructor(
    private readonly cells: LinkedCell[],
    sums: readonly LinkedSum[],
    private readonly k: number,
  ) {
    const order = sums.map((_, i) => i).sort((a, b) => sums[a]!.size - sums[b]!.size || a - b);
    this.start = new Int32Array(sums.length + 1);
    order.forEach((s, r) => (this.start[r + 1] = this.start[r]! + 1 + sums[s]!.cells.length));
    this.members = new Int32Array(this.start[sums.length]!);
    order.forEach((s, r) => {
      this.members[this.start[r]!] = sums[s]!.total;
      sums[s]!.cells.forEach((c, j) => (this.members[this.start[r]! + 1 + j] = c));
    });
    this.memberOf = cells.map(() => []);
    for (let r = 0; r < sums.length; r++)
      for (let j = this.start[r]!; j < this.start[r + 1]!; j++) this.memberOf[this.members[j]!]!.push(r);
  }

  private get count(): number {
    return this.start.length - 1;
  }

  /** Every cell that is the only unknown of a sum whose other members are known, again and again. */
  learn(): Reading {
    const { cells, start, members } = this;
    const known = new Uint8Array(cells.length);
    cells.forEach((c, i) => (known[i] = (c.kind === 'published' ? !c.hidden : c.n === 0) ? 1 : 0));
    const by = new Int32Array(cells.length).fill(-1);
    const unknown = new Int32Array(this.count);
    const heap = new MinHeap();
    for (let r = 0; r < this.count; r++) {
      for (let j = start[r]!; j < start[r + 1]!; j++) if (!known[members[j]!]) unknown[r]!++;
      if (unknown[r] === 1) heap.push(r);
    }
    const learnt: number[] = [];
    for (let r = heap.pop(); r !== undefined; r = heap.pop()) {
      if (unknown[r] !== 1) continue;
      let m = -1;
      for (let j = start[r]!; j < start[r + 1]! && m < 0; j++) if (!known[members[j]!]) m = members[j]!;
      known[m] = 1;
      by[m] = r;
      learnt.push(m);
      for (const t of this.memberOf[m]!) if (--unknown[t]! === 1) heap.push(t);
    }
    return { known, by, unknown, learnt };
  }

  /**
   * Hidden cells learnt, in the order learnt (the first is the root of what follows); when there is
   * none, the first small remainder learnt (one a round: protecting a hidden cell or another remainder
   * often protects it too); else the innermost sum leaving 1 to k − 1 students unknown.
   */
  violations({ known, by, unknown, learnt }: Reading, unfixable: ReadonlySet<string>): Violation[] {
    const { cells, start, members, k } = this;
    const violations: Violation[] = [];
    for (const kind of ['published', 'remainder'] as const)
      for (const i of learnt)
        if (cells[i]!.kind === kind && this.isProtected(i) && !unfixable.has(`${by[i]}:${i}`))
          if (kind === 'published' || violations.length === 0) violations.push({ sum: by[i]!, cell: i });
    if (violations.length > 0) return violations;
    for (let r = 0; r < this.count; r++) {
      if (!known[members[start[r]!]!] || unknown[r]! < 2 || unfixable.has(`${r}:-1`)) continue;
      // What a reader works out: the total minus the members it knows. The same as the unknown members'
      // sum where the sum is exact; less where members overlap (a student counted at two schools).
      let rest = cells[members[start[r]!]!]!.n;
      for (let j = start[r]! + 1; j < start[r + 1]!; j++) if (known[members[j]!]) rest -= cells[members[j]!]!.n;
      if (rest > 0 && rest < k) return [{ sum: r, cell: -1 }];
    }
    return [];
  }

  /**
   * Hides a complement for each violation whose learning used no cell hidden in this round (else the
   * next round sees); one with none is remembered in `unfixable`. Whether it hid anything.
   */
  hideComplements(
    violations: readonly Violation[],
    { known, by }: Reading,
    hideWith: (cell: number) => readonly number[],
    unfixable: Set<string>,
  ): boolean {
    const hiddenNow = new Set<number>();
    let changed = false;
    for (const { sum, cell } of violations) {
      if (hiddenNow.size > 0 && (cell < 0 || this.usesAny(cell, hiddenNow, known, by))) continue;
      const target = this.complement(sum, cell, known, by, new Set());
      if (target === null) {
        unfixable.add(`${sum}:${cell}`);
        continue;
      }
      for (const i of [target, ...hideWith(target)]) {
        this.cells[i]!.hidden = true;
        hiddenNow.add(i);
      }
      changed = true;
    }
    return changed;
  }

  private isProtected(i: number): boolean {
    const c = this.cells[i]!;
    return c.n > 0 && (c.kind === 'published' ? c.hidden : c.n < this.k);
  }

  private shown(i: number): boolean {
    return this.cells[i]!.kind === 'published' && !this.cells[i]!.hidden;
  }

  /** Whether learning cell c used one of `hidden` (a member of the sum that gave it away, or of theirs). */
  private usesAny(c: number, hidden: Set<number>, known: Uint8Array, by: Int32Array): boolean {
    const { start, members } = this;
    const seen = new Set<number>();
    const stack = [c];
    while (stack.length > 0) {
      const x = stack.pop()!;
      const r = by[x]!;
      if (r < 0 || seen.has(r)) continue;
      seen.add(r);
      for (let j = start[r]!; j < start[r + 1]!; j++) {
        const m = members[j]!;
        if (m === x) continue;
        if (hidden.has(m)) return true;
        if (known[m] && by[m]! >= 0) stack.push(m);
      }
    }
    return false;
  }

  /** The cell to hide so that sum r no longer gives `exclude` (or a small rest) away; null if none. */
  private complement(
    r: number,
    exclude: number,
    known: Uint8Array,
    by: Int32Array,
    visited: Set<number>,
  ): number | null {
    const { cells, start, members } = this;
    if (visited.has(r)) return null;
    visited.add(r);
    const total = members[start[r]!]!;
    const list = Array.from(members.subarray(start[r]! + 1, start[r + 1]!));
    const candidates = list.filter((c) => c !== exclude && this.shown(c) && !cells[c]!.fixed);
    const occupied = candidates.filter((c) => cells[c]!.n > 0);
    const pool = occupied.length > 0 ? occupied : candidates;
    if (pool.length > 0) return pool.reduce((a, b) => (cells[b]!.n < cells[a]!.n ? b : a));
    // Members learnt from other sums: hide in those (a band learnt from its column rather than the whole group).
    for (const m of [...list, total]) {
      if (m === exclude || !known[m] || by[m]! < 0) continue;
      const found = this.complement(by[m]!, m, known, by, visited);
      if (found !== null) return found;
    }
    return total !== exclude && this.shown(total) && !cells[total]!.fixed ? total : null;
  }
}

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];
  push(x: number): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (a[p]! <= a[i]!) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! < a[m]!) m = l;
        if (r < a.length && a[r]! < a[m]!) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}
