import type { Predictor } from './ols';

/**
 * Dummy (0/1) predictors for a categorical label such as school or grade, one per level except the
 * reference level, which is the first in sorted order (as statsmodels' formula C(label) with its
 * default Treatment coding). Names are `prefix[level]`, e.g. "school[B]". A label with one level only
 * gives no predictor.
 */
export function fixedEffects(labels: readonly string[], prefix: string): Predictor[] {
  const levels = [...new Set(labels)].sort(compareLevels);
  const column = new Map(levels.map((level, j) => [level, j - 1])); // the reference level gets -1
  // Bytes, one pass over the students: a district's 50 school dummies × 50 000 students stay 2.5 MB.
  const values = levels.slice(1).map(() => new Uint8Array(labels.length));
  labels.forEach((label, i) => {
    const j = column.get(label)!;
    if (j >= 0) values[j]![i] = 1;
  });
  return levels.slice(1).map((level, j) => ({ name: `${prefix}[${level}]`, values: values[j]! }));
}

/** Code-unit order (as Python's sorted() on str), so the reference level matches statsmodels. */
function compareLevels(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
