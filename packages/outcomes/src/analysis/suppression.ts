import { suppress } from '@edusage/stats';

/**
 * Small-cell suppression of a two-way table (groups × dosage bands) whose row totals (group n) and
 * column totals (the district's band n) are both published. Each row was suppressed on its own
 * (`bandTable`, with @edusage/stats `suppress`); a column can still give a hidden cell away as
 * column total − shown cells. So, with the same rule as `suppress` (a line needs more hiding while
 * exactly one of its occupied cells is hidden, or its hidden cells count fewer than k students; then the
 * smallest shown occupied cell is hidden too), every row and column is checked again until nothing
 * changes. Empty cells (n = 0) describe nobody and take no part. Returns hidden[row][column].
 */
export function suppressTable(
  counts: readonly (readonly number[])[],
  alreadyHidden: readonly (readonly boolean[])[],
  k: number,
): boolean[][] {
  const hidden = alreadyHidden.map((row) => [...row]);
  const line = (cells: { r: number; c: number }[]): boolean => {
    const occupied = cells.filter(({ r, c }) => counts[r]![c]! > 0);
    const hiddenCells = occupied.filter(({ r, c }) => hidden[r]![c]!);
    const hiddenN = hiddenCells.reduce((s, { r, c }) => s + counts[r]![c]!, 0);
    if (!(hiddenCells.length === 1 || (hiddenCells.length > 0 && hiddenN < k))) return false;
    const shown = occupied.filter(({ r, c }) => !hidden[r]![c]!);
    if (shown.length === 0) return false;
    const next = shown.reduce((a, b) => (counts[b.r]![b.c]! < counts[a.r]![a.c]! ? b : a));
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

/** Which groups of one dimension are hidden: n < k, and complementary ones since the district total is published. */
export function hiddenGroups(sizes: readonly number[], k: number): boolean[] {
  const result = suppress(
    sizes.map((n, i) => ({ label: String(i), n, value: null })),
    { k },
  );
  return result.cells.map((c) => c.suppressed !== null);
}
