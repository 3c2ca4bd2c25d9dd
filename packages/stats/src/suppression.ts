/**
 * Small-cell suppression for published tables: a cell counting fewer than k students is hidden
 * (primary), and when the children of a published total are shown, more cells are hidden
 * (complementary) so that the hidden ones cannot be worked out from the total.
 */

export const DEFAULT_MIN_CELL = 10;

export type SuppressionReason = 'suppressed (n<k)' | 'suppressed (complementary)';

export interface Cell<T> {
  label: string;
  /** Number of students the cell describes. */
  n: number;
  /** What the cell publishes (a mean, a row of statistics, …). */
  value: T;
}

export interface PublishedCell<T> {
  label: string;
  /** null when suppressed. */
  n: number | null;
  value: T | null;
  suppressed: SuppressionReason | null;
}

export interface SuppressOptions {
  /** Minimum cell size, default 10. */
  k?: number;
  /** Whether the sum of the cells' n is published beside them (default true). */
  totalPublished?: boolean;
  /**
   * The total published beside the cells when it is not their sum: cells that overlap (a person
   * counted in two of them) add up to more. A reader still takes "total − shown cells" for the hidden
   * ones, so that difference must not be a small count either. Default: the sum of the cells.
   */
  total?: number;
}

export interface SuppressedTable<T> {
  cells: PublishedCell<T>[];
  /** The total of n over all cells (or `total`); null when the total itself is below k (and totalPublished). */
  total: { n: number | null; suppressed: SuppressionReason | null };
}

/**
 * Primary: every cell with n < k. Complementary (only when the total is published): while exactly one
 * cell is hidden, or the hidden cells together count fewer than k students (so their sum, total minus
 * the shown cells, would itself be a small cell), or total minus the shown cells is 1 to k − 1 (cells
 * that overlap, `total`), hide the smallest shown cell (the first of equals).
 */
/** A small count: 1 to k − 1 people (0 reveals nobody). */
export function belowK(n: number, k: number): boolean {
  return n > 0 && n < k;
}

export function suppress<T>(cells: readonly Cell<T>[], options: SuppressOptions = {}): SuppressedTable<T> {
  const k = options.k ?? DEFAULT_MIN_CELL;
  const totalPublished = options.totalPublished ?? true;
  const reasons: (SuppressionReason | null)[] = cells.map((c) => (c.n < k ? 'suppressed (n<k)' : null));
  const totalN = options.total ?? cells.reduce((s, c) => s + c.n, 0);

  if (totalPublished) {
    for (;;) {
      const hidden = cells.filter((_, i) => reasons[i] !== null);
      const hiddenN = hidden.reduce((s, c) => s + c.n, 0);
      const shownN = cells.reduce((s, c, i) => (reasons[i] === null ? s + c.n : s), 0);
      const needsMore = hidden.length === 1 || (hidden.length > 0 && hiddenN < k) || belowK(totalN - shownN, k);
      const next = smallestShown(cells, reasons);
      if (!needsMore || next === null) break;
      reasons[next] = 'suppressed (complementary)';
    }
  }
  const totalHidden = totalPublished && totalN < k;
  return {
    cells: cells.map((c, i) => {
      const suppressed = reasons[i] ?? null;
      return suppressed === null
        ? { label: c.label, n: c.n, value: c.value, suppressed: null }
        : { label: c.label, n: null, value: null, suppressed };
    }),
    total: totalHidden ? { n: null, suppressed: 'suppressed (n<k)' } : { n: totalN, suppressed: null },
  };
}

function smallestShown<T>(cells: readonly Cell<T>[], reasons: readonly (SuppressionReason | null)[]): number | null {
  let best: number | null = null;
  cells.forEach((c, i) => {
    if (reasons[i] !== null) return;
    if (best === null || c.n < (cells[best] as Cell<T>).n) best = i;
  });
  return best;
}
