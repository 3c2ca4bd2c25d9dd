import type { DesignColumns } from './qr';

/**
 * A column whose QR diagonal |R_jj| is below this share of the column's own length lies (up to
 * rounding) in the span of the columns before it.
 */
const RANK_TOLERANCE = 1e-10;

/** Column j of X, a view (no copy). */
const columnOf = (X: DesignColumns, j: number) => X.data.subarray(j * X.n, (j + 1) * X.n);

/** Euclidean length of a column; a plain loop: runs per fit on every column. */
function lengthOf(column: Float64Array): number {
  let length2 = 0;
  for (let i = 0; i < column.length; i++) length2 += column[i]! * column[i]!;
  return Math.sqrt(length2);
}

/**
 * Whether column j of X adds nothing to the columns before it: |R_jj|, the length of its part
 * orthogonal to their span, is rounding noise against its own length (a zero column adds nothing too).
 */
function addsNothing(X: DesignColumns, R: Float64Array, j: number): boolean {
  return Math.abs(R[j * X.k + j]!) <= RANK_TOLERANCE * lengthOf(columnOf(X, j));
}

/**
 * The columns (indices, in order) that lie in the span of the columns before them, from the R of X's
 * QR in its own column order: a sequential check, so a column aliased with earlier ones is named and
 * the ones it depends on are kept (the span of the columns not named is the span of all of them).
 */
export function aliasedColumns(X: DesignColumns, R: Float64Array): number[] {
  const aliased: number[] = [];
  for (let j = 0; j < X.k; j++) if (addsNothing(X, R, j)) aliased.push(j);
  return aliased;
}

/**
 * The first design column that is a linear combination of the ones before it, as a sentence naming
 * it, or null when X has full column rank. Householder QR without pivoting keeps the column order, so
 * the column named is the first one that adds nothing new.
 */
export function collinearityProblem(X: DesignColumns, R: Float64Array, names: readonly string[]): string | null {
  const j = aliasedColumns(X, R)[0];
  if (j === undefined) return null;
  const column = columnOf(X, j);
  if (column.every((v) => v === 0)) return `predictor ${names[j]} is 0 for every student; it cannot have an effect`;
  if (column.every((v) => v === column[0])) {
    return `predictor ${names[j]} has the same value (${column[0]}) for every student; its effect cannot be told apart from the intercept`;
  }
  const earlier = names.slice(0, j).join(', ');
  return (
    `predictor ${names[j]} is perfectly collinear: it is a linear combination of ${earlier}; ` +
    `remove it (for fixed effects: a group that coincides with another group or with a predictor)`
  );
}
