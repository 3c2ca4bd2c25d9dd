/**
 * Small-cell suppression for the research tables, in one module (docs/DATA_DICTIONARY.md
 * "Suppression"); the complementary rule is the project's one helper, `suppress` of @edusage/stats.
 *
 * 1. Primary: a cell counting 1 ≤ n < k distinct people is suppressed. (Usage cells always count at
 *    least one person; a license's 0 active users reveals nobody and is published.)
 * 2. Complementary: cells that partition a published total (the schools, or the grades, of one
 *    district × week × app) must not let a reader recover a suppressed cell as "total minus the
 *    visible cells". While the suppressed cells of a group are only one, or together count fewer than
 *    k people, or the total minus the visible cells is 1 to k − 1 (school cells overlap: a student
 *    active at two schools counts at both), the smallest visible cell of the group is suppressed as
 *    well. Groups whose total is itself suppressed publish no total and need nothing more.
 */
import { belowK, suppress } from '@edusage/stats';

/** k of the deployment: default 10, never below 5 (state practice ranges 5 to 15). */
export const DEFAULT_K = 10;
export const MIN_K = 5;

export function checkK(k: number): number {
  if (!Number.isInteger(k) || k < MIN_K) throw new Error(`suppression k must be a whole number ≥ ${MIN_K}, got ${k}`);
  return k;
}

/** Primary suppression of one count (the rule of @edusage/stats, re-exported for the research modules). */
export { belowK };

/**
 * Primary and complementary suppression within one group of cells that partition a published total,
 * by the project's one rule (`suppress` of @edusage/stats: while the hidden cells are only one, or
 * count fewer than k together, or `total` minus the shown cells is 1 to k − 1, the smallest shown cell
 * is hidden too). `total` defaults to the cells' sum. Returns the indexes to hide.
 */
export function suppressGroup<T>(cells: readonly T[], n: (cell: T) => number, k: number, total?: number): Set<number> {
  const table = suppress(
    cells.map((c, i) => ({ label: String(i), n: n(c), value: i })),
    { k, totalPublished: true, ...(total === undefined ? {} : { total }) },
  );
  return new Set(table.cells.flatMap((c, i) => (c.suppressed !== null ? [i] : [])));
}

/**
 * Applies primary suppression to every cell and complementary suppression within each group whose
 * total is published (`publishedTotal`: the figure published, undefined when it is not).
 * `groupOf` names a cell's group.
 */
export function suppressCells<T>(
  cells: readonly T[],
  opts: {
    n: (cell: T) => number;
    groupOf: (cell: T) => string;
    publishedTotal: (group: string) => number | undefined;
    k: number;
  },
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
    const total = opts.publishedTotal(group);
    if (total === undefined) continue;
    const hidden = suppressGroup(
      indexes.map((i) => cells[i]!),
      opts.n,
      opts.k,
      total,
    );
    for (const j of hidden) out[indexes[j]!] = true;
  }
  return out;
}
