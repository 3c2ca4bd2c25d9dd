import { Matrix } from 'ml-matrix';

/**
 * A column whose QR diagonal |R_jj| is below this share of the column's own length lies (up to
 * rounding) in the span of the columns before it.
 */
const RANK_TOLERANCE = 1e-10;

/**
 * The first design column that is a linear combination of the ones before it, as a sentence naming
 * it, or null when X has full column rank. Householder QR without pivoting keeps the column order, so
 * the column named is the first one that adds nothing new.
 */
export function collinearityProblem(X: Matrix, R: Matrix, names: readonly string[]): string | null {
  for (let j = 0; j < X.columns; j++) {
    const column = X.getColumn(j);
    const length = Math.sqrt(column.reduce((s, v) => s + v * v, 0));
    if (length === 0) return `predictor ${names[j]} is 0 for every student; it cannot have an effect`;
    if (Math.abs(R.get(j, j)) > RANK_TOLERANCE * length) continue;
    if (column.every((v) => v === column[0])) {
      return `predictor ${names[j]} has the same value (${column[0]}) for every student; its effect cannot be told apart from the intercept`;
    }
    const earlier = names.slice(0, j).join(', ');
    return (
      `predictor ${names[j]} is perfectly collinear: it is a linear combination of ${earlier}; ` +
      `remove it (for fixed effects: a group that coincides with another group or with a predictor)`
    );
  }
  return null;
}
