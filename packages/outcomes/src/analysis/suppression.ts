import { suppress } from '@edusage/stats';

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

/** Which groups of one dimension are hidden: n < k, and complementary ones since the district total is published. */
export function hiddenGroups(sizes: readonly number[], k: number): boolean[] {
  const result = suppress(
    sizes.map((n, i) => ({ label: String(i), n, value: null })),
    { k },
  );
  return result.cells.map((c) => c.suppressed !== null);
}
