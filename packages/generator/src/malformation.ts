import type { Rng } from './rng';

/** Far-future shift of a `future_timestamp` malformation: ten years. */
export const FUTURE_SHIFT_MS = 3650 * 86_400_000;

/**
 * A `not_json` line: the first 30–80 % of the intended line, as a sender that died mid-write leaves
 * it. `minLength` keeps very short lines from being cut to nothing.
 */
export function truncatedLine(full: string, rng: Rng, minLength = 0): string {
  return full.slice(0, Math.max(minLength, Math.floor(full.length * (0.3 + 0.5 * rng.next()))));
}
