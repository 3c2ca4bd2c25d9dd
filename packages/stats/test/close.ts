/** Comparison to the Python reference: relative tolerance, and exact zero where the reference is 0. */
export const RELATIVE = 1e-9;

export function relativeError(actual: number, expected: number): number {
  if (expected === 0) return Math.abs(actual);
  return Math.abs(actual - expected) / Math.abs(expected);
}

/** Asserts |actual − expected| ≤ 1e-9·|expected|, naming the figure when it fails. */
export function expectClose(actual: number, expected: number, label: string): void {
  const error = relativeError(actual, expected);
  if (!(error <= RELATIVE)) {
    throw new Error(`${label}: got ${actual}, reference ${expected} (relative error ${error.toExponential(2)})`);
  }
}

/** Compares every numeric field of `expected` present in `actual` (nested objects too). */
export function expectFieldsClose(actual: unknown, expected: unknown, label: string): void {
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') throw new Error(`${label}: missing (got ${String(actual)})`);
    expectClose(actual, expected, label);
    return;
  }
  if (expected && typeof expected === 'object') {
    for (const [key, value] of Object.entries(expected)) {
      if (key === 'p') continue; // p-values are compared on the log scale (log10p)
      expectFieldsClose((actual as Record<string, unknown>)?.[key], value, `${label}.${key}`);
    }
  }
}
