import { DEFAULT_LEVEL, StatResult, fail, ok } from './result';
import { normalCritical, tTwoSided } from './distributions';
import { mean } from './descriptive';
import { averageRanks } from './ranks';
import { checkFinite, checkLevel, checkMinimum, checkSameLength, firstProblem } from './validate';

export type CorrelationMethod = 'pearson' | 'spearman';

export interface Correlation {
  method: CorrelationMethod;
  n: number;
  /** Pearson r, or Spearman ρ (Pearson r of the average ranks). */
  r: number;
  /** Fisher-z confidence interval (see README for the standard error of each method). */
  ciLow: number;
  ciHigh: number;
  /** Two-sided p-value of H0: no correlation, t test with n − 2 degrees of freedom. */
  p: number;
  log10p: number;
}

export interface CorrelationOptions {
  level?: number;
  /** Names of x and y used in reasons, default "x" and "y" (say "usage" and "growth"). */
  xName?: string;
  yName?: string;
}

const MIN_N = 4; // the Fisher-z standard error needs n − 3 > 0

/**
 * Pearson r or Spearman ρ with a Fisher-z confidence interval and a two-sided p-value.
 * Pearson: r, p and interval as scipy `pearsonr(x, y)` and `.confidence_interval(level)`.
 * Spearman: ρ and p as scipy `spearmanr(x, y)`; interval tanh(atanh ρ ± z·√((1 + ρ²/2)/(n − 3)))
 * (Bonett & Wright 2000), since the plain 1/√(n − 3) is too narrow for ρ.
 */
export function correlation(
  x: readonly number[],
  y: readonly number[],
  method: CorrelationMethod,
  options: CorrelationOptions = {},
): StatResult<Correlation> {
  const level = options.level ?? DEFAULT_LEVEL;
  const xName = options.xName ?? 'x';
  const yName = options.yName ?? 'y';
  const problem = firstProblem(
    checkLevel(level),
    checkSameLength([
      { name: xName, values: x },
      { name: yName, values: y },
    ]),
    checkFinite(x, xName),
    checkFinite(y, yName),
    checkMinimum(x.length, MIN_N, `a correlation with a confidence interval`),
    constantProblem(x, xName),
    constantProblem(y, yName),
  );
  if (problem) return fail(problem);

  const n = x.length;
  const r = method === 'pearson' ? pearsonR(x, y) : pearsonR(averageRanks(x), averageRanks(y));
  if (Math.abs(r) >= 1) {
    return fail(
      `${xName} and ${yName} are perfectly ${method === 'pearson' ? 'linearly' : 'monotonically'} related ` +
        `(r = ${r}); a confidence interval and p-value are not defined; check that they are not the same measure`,
    );
  }
  const df = n - 2;
  const t = r * Math.sqrt(df / ((1 + r) * (1 - r)));
  const { p, log10p } = tTwoSided(t, df);
  const se = method === 'pearson' ? 1 / Math.sqrt(n - 3) : Math.sqrt((1 + (r * r) / 2) / (n - 3));
  const z = Math.atanh(r);
  const half = normalCritical(level) * se;
  return ok({ method, n, r, ciLow: Math.tanh(z - half), ciHigh: Math.tanh(z + half), p, log10p });
}

function constantProblem(values: readonly number[], name: string): string | null {
  if (values.every((v) => v === values[0])) {
    return `${name} has the same value (${values[0]}) for every student; a correlation needs variation`;
  }
  return null;
}

/**
 * Pearson r from centred columns, each scaled to unit length before the dot product (as scipy does).
 * The centred values are computed again in the second pass instead of kept in arrays (the same doubles,
 * no garbage for the thousands of groups of an analysis).
 */
function pearsonR(x: readonly number[], y: readonly number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let ssx = 0;
  let ssy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    ssx += dx * dx;
    ssy += dy * dy;
  }
  const nx = Math.sqrt(ssx);
  const ny = Math.sqrt(ssy);
  let r = 0;
  for (let i = 0; i < x.length; i++) r += (((x[i] as number) - mx) / nx) * (((y[i] as number) - my) / ny);
  return Math.max(-1, Math.min(1, r));
}
