import type { Predictor } from './ols';

/**
 * Dummy (0/1) predictors for a categorical label such as school or grade, one per level except the
 * reference level, which is the first in sorted order (as statsmodels' formula C(label) with its
 * default Treatment coding). Names are `prefix[level]`, e.g. "school[B]". A label with one level only
 * gives no predictor.
 */
export function fixedEffects(labels: readonly string[], prefix: string): Predictor[] {
  const levels = [...new Set(labels)].sort(compareLevels);
  return levels.slice(1).map((level) => ({
    name: `${prefix}[${level}]`,
    values: labels.map((l) => (l === level ? 1 : 0)),
  }));
}

/** Code-unit order (as Python's sorted() on str), so the reference level matches statsmodels. */
function compareLevels(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
