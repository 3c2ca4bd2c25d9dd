/**
 * Every statistic returns a StatResult: the value, or a sentence a data team understands saying why
 * the statistic cannot be computed on this data. No function here returns NaN or throws on data.
 */
export type StatResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export function ok<T>(value: T): StatResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(reason: string): StatResult<T> {
  return { ok: false, reason };
}

/** The default confidence level of every interval. */
export const DEFAULT_LEVEL = 0.95;
