import { StatResult, fail, ok } from './result';
import { checkFinite, firstProblem } from './validate';

/**
 * Quantile with linear interpolation between order statistics (Hyndman & Fan type 7), numpy's
 * default: numpy.quantile(values, q). `sorted` must be ascending and non-empty.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

export interface TertileCuts {
  /** numpy.quantile(values, 1/3) */
  low: number;
  /** numpy.quantile(values, 2/3) */
  high: number;
}

export type Tertile = 'low' | 'middle' | 'high';

/**
 * Data-driven tertile cut points of, e.g., usage minutes. A student is in the low band when
 * value ≤ low, middle when low < value ≤ high, high when value > high (tertileOf).
 */
export function tertileCuts(values: readonly number[], name = 'value'): StatResult<TertileCuts> {
  const problem = firstProblem(
    checkFinite(values, name),
    values.length < 3 ? `tertiles of ${name} need at least 3 students, got ${values.length}` : null,
  );
  if (problem) return fail(problem);
  const sorted = Float64Array.from(values).sort(); // native numeric sort (no comparator calls)
  const low = quantileSorted(sorted, 1 / 3);
  const high = quantileSorted(sorted, 2 / 3);
  if (low === high) {
    return fail(
      `more than a third of students have the same ${name} (${low}), so three ${name} bands cannot be formed; use fixed bands instead`,
    );
  }
  return ok({ low, high });
}

export function tertileOf(value: number, cuts: TertileCuts): Tertile {
  if (value <= cuts.low) return 'low';
  return value <= cuts.high ? 'middle' : 'high';
}
