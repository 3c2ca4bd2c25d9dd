/**
 * The t and normal distributions used for p-values and intervals. Tails are computed directly from
 * the regularized incomplete beta function (stdlib's betainc with upper/lower chosen so nothing is
 * computed as 1 − cdf), so a p-value of 1e-200 stays 1e-200 instead of rounding to 0.
 */
import betainc from '@stdlib/math-base-special-betainc';
import betaln from '@stdlib/math-base-special-betaln';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

export interface PValue {
  /** Two-sided p-value; 0 only when it is below the smallest double (~1e-308). */
  p: number;
  /** log10 of the p-value, finite even when p itself underflows to 0. */
  log10p: number;
}

/** Below this a p-value is taken from its logarithm (the double range ends near 1e-308). */
const SMALLEST_DIRECT_P = 1e-290;

/**
 * Two-sided p-value of a t statistic with df degrees of freedom: P(|T| ≥ |t|) = I_x(df/2, 1/2) with
 * x = df / (df + t²) (Abramowitz & Stegun 26.7.1), the same quantity as scipy's 2·t.sf(|t|, df).
 */
export function tTwoSided(t: number, df: number): PValue {
  const x = df / (df + t * t);
  const p = Math.min(1, betainc(x, df / 2, 0.5, true, false));
  if (p > SMALLEST_DIRECT_P) return { p, log10p: Math.log10(p) };
  // ln x computed without forming x, which may itself underflow for huge t.
  const lnX = Math.log(df) - Math.log(df + t * t);
  return { p, log10p: lnLowerBetaTail(lnX, x, df / 2, 0.5) / Math.LN10 };
}

/**
 * ln I_x(a, b) for small x through the hypergeometric series (DLMF 8.17.8):
 * I_x(a,b) = x^a (1−x)^b / (a·B(a,b)) · Σ_n [(a+b)_n / (a+1)_n] xⁿ. Used only where I_x underflows,
 * i.e. x is tiny, so the series converges in a few terms.
 */
function lnLowerBetaTail(lnX: number, x: number, a: number, b: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < 1000; n++) {
    term *= ((a + b + n) / (a + 1 + n)) * x;
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return a * lnX + b * Math.log1p(-x) - Math.log(a) - betaln(a, b) + Math.log(sum);
}

/**
 * Critical values already computed, by level and df. An analysis asks for the same few (95 %, the df of
 * classes of ~25 students) thousands of times, and each quantile costs tens of microseconds; the
 * cached value is the same double. Bounded so a long-running process does not grow it without end.
 */
const criticalCache = new Map<string, number>();
const CRITICAL_CACHE_SIZE = 10_000;

function cached(key: string, compute: () => number): number {
  let v = criticalCache.get(key);
  if (v === undefined) {
    v = compute();
    if (criticalCache.size >= CRITICAL_CACHE_SIZE) criticalCache.clear();
    criticalCache.set(key, v);
  }
  return v;
}

/** Two-sided critical value of the t distribution: t such that P(|T| ≤ t) = level (scipy t.ppf). */
export function tCritical(level: number, df: number): number {
  return cached(`t ${level} ${df}`, () => tQuantile(1 - (1 - level) / 2, df));
}

/** Two-sided critical value of the standard normal distribution (scipy norm.ppf). */
export function normalCritical(level: number): number {
  return cached(`z ${level}`, () => normalQuantile(1 - (1 - level) / 2, 0, 1));
}
