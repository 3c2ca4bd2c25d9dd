/**
 * Small-cell suppression for the research tables, in one module so it can be swapped for a shared
 * helper. Rules (docs/DATA_DICTIONARY.md "Suppression"):
 *
 * 1. Primary: a cell counting 1 ≤ n < k distinct people is suppressed (a 0 reveals nobody and stays).
 * 2. Complementary: cells that partition a published total (the schools, or the grades, of one
 *    district × week × app) must not let a reader recover a suppressed cell as "total minus the
 *    visible cells". While the suppressed cells of a group are only one, or together count fewer than
 *    k people, the smallest visible cell of the group is suppressed as well. Groups whose total is
 *    itself suppressed publish no total and need nothing more.
 */

/** k of the deployment: default 10, never below 5 (state practice ranges 5 to 15). */
export const DEFAULT_K = 10;
export const MIN_K = 5;

export function checkK(k: number): number {
  if (!Number.isInteger(k) || k < MIN_K) throw new Error(`suppression k must be a whole number ≥ ${MIN_K}, got ${k}`);
  return k;
}

/** Primary suppression of one count. */
export function belowK(n: number, k: number): boolean {
  return n > 0 && n < k;
}

/**
 * Complementary suppression within one group of cells that partition a published total. `n` gives a
 * cell's count; returns the set of indexes to suppress (primary and complementary). Ties are broken
 * by position, so the result is deterministic for a given order.
 */
export function suppressGroup<T>(cells: readonly T[], n: (cell: T) => number, k: number): Set<number> {
  const suppressed = new Set<number>();
  cells.forEach((c, i) => {
    if (belowK(n(c), k)) suppressed.add(i);
  });
  const residual = () => [...suppressed].reduce((sum, i) => sum + n(cells[i]!), 0);
  while (suppressed.size > 0 && (suppressed.size === 1 || residual() < k)) {
    let smallest = -1;
    cells.forEach((c, i) => {
      if (suppressed.has(i) || n(c) === 0) return;
      if (smallest < 0 || n(c) < n(cells[smallest]!)) smallest = i;
    });
    if (smallest < 0) break; // nothing visible left that could be subtracted
    suppressed.add(smallest);
  }
  return suppressed;
}

/**
 * Applies primary suppression to every cell and complementary suppression within each group whose
 * published total (`totalOf`) is itself not suppressed. `groupOf` names a cell's group.
 */
export function suppressCells<T>(
  cells: readonly T[],
  opts: { n: (cell: T) => number; groupOf: (cell: T) => string; totalPublished: (group: string) => boolean; k: number },
): boolean[] {
  const out = cells.map((c) => belowK(opts.n(c), opts.k));
  const groups = new Map<string, number[]>();
  cells.forEach((c, i) => {
    const g = opts.groupOf(c);
    const list = groups.get(g) ?? [];
    list.push(i);
    groups.set(g, list);
  });
  for (const [group, indexes] of groups) {
    if (!opts.totalPublished(group)) continue;
    const hidden = suppressGroup(
      indexes.map((i) => cells[i]!),
      opts.n,
      opts.k,
    );
    for (const j of hidden) out[indexes[j]!] = true;
  }
  return out;
}
