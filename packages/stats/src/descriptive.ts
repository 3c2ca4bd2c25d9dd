import { DEFAULT_LEVEL, StatResult, fail, ok } from './result';
import { tCritical } from './distributions';
import { checkFinite, checkLevel, checkMinimum, firstProblem } from './validate';

export function mean(xs: readonly number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample variance (n − 1 denominator), two-pass so large offsets do not cost precision. */
export function variance(xs: readonly number[]): number {
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return ss / (xs.length - 1);
}

export interface MeanWithCI {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 denominator). */
  sd: number;
  /** Standard error of the mean, sd / √n. */
  se: number;
  ciLow: number;
  ciHigh: number;
}

export interface MeanOptions {
  /** Confidence level of the interval, default 0.95. */
  level?: number;
  /** What the values are, used in reasons ("growth"); default "value". */
  name?: string;
}

/**
 * Mean with a t-based confidence interval: mean ± t_{n−1} · sd/√n. Same as scipy
 * `stats.t.interval(level, n-1, loc=mean, scale=stats.sem(xs))`. A single constant value (sd 0) gives
 * an interval of zero width, which is correct, not an error.
 */
export function meanWithCI(xs: readonly number[], options: MeanOptions = {}): StatResult<MeanWithCI> {
  const level = options.level ?? DEFAULT_LEVEL;
  const name = options.name ?? 'value';
  const problem = firstProblem(
    checkLevel(level),
    checkFinite(xs, name),
    checkMinimum(xs.length, 2, `a confidence interval for the mean ${name}`),
  );
  if (problem) return fail(problem);
  const n = xs.length;
  const m = mean(xs);
  const sd = Math.sqrt(variance(xs));
  const se = sd / Math.sqrt(n);
  const half = tCritical(level, n - 1) * se;
  return ok({ n, mean: m, sd, se, ciLow: m - half, ciHigh: m + half });
}
