/**
 * Ranks 1..n with ties given their average rank (scipy.stats.rankdata, method='average'). A tie group
 * occupying sorted positions first..last (0-based) gets (first + last) / 2 + 1. Sorted as a typed array
 * (native numeric sort) and each value's group found by binary search: several times faster than
 * sorting an index array with a comparator, for the thousands of groups an analysis ranks.
 */
export function averageRanks(xs: readonly number[]): number[] {
  const sorted = Float64Array.from(xs).sort();
  const ranks = new Array<number>(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    const first = firstAtLeast(sorted, x);
    const last = firstAbove(sorted, x, first) - 1;
    ranks[i] = (first + last) / 2 + 1;
  }
  return ranks;
}

/** The first position whose value is ≥ x (-0 and 0 count as equal, as they compare). */
function firstAtLeast(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first position from `from` on whose value is > x. */
function firstAbove(sorted: Float64Array, x: number, from: number): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
