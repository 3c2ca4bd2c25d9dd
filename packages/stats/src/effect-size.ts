import { DEFAULT_LEVEL, StatResult, fail, ok } from './result';
import { tCritical } from './distributions';
import { mean, variance } from './descriptive';
import { checkFinite, checkLevel, firstProblem } from './validate';

export interface HedgesG {
  /** Hedges g: Cohen d on the pooled SD times the small-sample correction 1 − 3/(4(n₁+n₂) − 9). */
  g: number;
  /** √((n₁+n₂)/(n₁n₂) + g²/(2(n₁+n₂))) (Hedges & Olkin 1985). */
  se: number;
  /** g ± t_{n₁+n₂−2} · se, as pingouin.compute_esci(g, n₁, n₂, eftype='hedges'). */
  ciLow: number;
  ciHigh: number;
  nTreated: number;
  nControl: number;
}

export interface GroupOptions {
  level?: number;
  /** Names of the two groups and of the measure used in reasons. */
  treatedName?: string;
  controlName?: string;
  measure?: string;
}

/**
 * Standardized mean difference (treated − control) with the Hedges small-sample correction: the
 * same g as pingouin.compute_effsize(treated, control, eftype='hedges') and the What Works
 * Clearinghouse (Procedures Handbook v5.0, E.1–E.2), with the interval of pingouin.compute_esci.
 */
export function hedgesG(
  treated: readonly number[],
  control: readonly number[],
  options: GroupOptions = {},
): StatResult<HedgesG> {
  const level = options.level ?? DEFAULT_LEVEL;
  const d = standardizedDifference(treated, control, options);
  if (!d.ok) return d;
  const problem = checkLevel(level);
  if (problem) return fail(problem);
  const { g, nTreated, nControl } = d.value;
  const nTotal = nTreated + nControl;
  const se = Math.sqrt(nTotal / (nTreated * nControl) + (g * g) / (2 * nTotal));
  const half = tCritical(level, nTotal - 2) * se;
  return ok({ g, se, ciLow: g - half, ciHigh: g + half, nTreated, nControl });
}

/** What Works Clearinghouse baseline equivalence category of an absolute difference in SD units. */
export type WwcBaseline = 'satisfies' | 'requires statistical adjustment' | 'does not satisfy';

export interface BaselineDifference {
  /** Hedges g of the pre-test (treated − control), i.e. the baseline difference in pooled SD units. */
  sdUnits: number;
  /** |sdUnits| > 0.25: the WWC baseline-equivalence requirement is not met. */
  exceedsWwc: boolean;
  /** ≤ 0.05 satisfies; 0.05 < |d| ≤ 0.25 requires adjusting for the pre-test; > 0.25 does not satisfy. */
  wwc: WwcBaseline;
  nTreated: number;
  nControl: number;
}

/** WWC thresholds in SD units (Procedures Handbook v5.0, section on baseline equivalence). */
export const WWC_SATISFIES = 0.05;
export const WWC_LIMIT = 0.25;

/**
 * Baseline difference of the pre-test between the groups, in pooled SD units with the Hedges
 * correction (how the WWC computes it), and its WWC category.
 */
export function baselineDifference(
  treatedPre: readonly number[],
  controlPre: readonly number[],
  options: Omit<GroupOptions, 'level'> = {},
): StatResult<BaselineDifference> {
  const d = standardizedDifference(treatedPre, controlPre, { measure: 'pre-test score', ...options });
  if (!d.ok) return d;
  const { g, nTreated, nControl } = d.value;
  const size = Math.abs(g);
  const wwc: WwcBaseline =
    size <= WWC_SATISFIES ? 'satisfies' : size <= WWC_LIMIT ? 'requires statistical adjustment' : 'does not satisfy';
  return ok({ sdUnits: g, exceedsWwc: size > WWC_LIMIT, wwc, nTreated, nControl });
}

function standardizedDifference(
  treated: readonly number[],
  control: readonly number[],
  options: GroupOptions,
): StatResult<{ g: number; nTreated: number; nControl: number }> {
  const treatedName = options.treatedName ?? 'treated group';
  const controlName = options.controlName ?? 'control group';
  const measure = options.measure ?? 'score';
  const problem = firstProblem(
    checkFinite(treated, `${measure} in the ${treatedName}`),
    checkFinite(control, `${measure} in the ${controlName}`),
    treated.length < 2 ? `the ${treatedName} needs at least 2 students, got ${treated.length}` : null,
    control.length < 2 ? `the ${controlName} needs at least 2 students, got ${control.length}` : null,
  );
  if (problem) return fail(problem);
  const n1 = treated.length;
  const n2 = control.length;
  const pooledVariance = ((n1 - 1) * variance(treated) + (n2 - 1) * variance(control)) / (n1 + n2 - 2);
  if (!(pooledVariance > 0)) {
    return fail(`${measure} has the same value within each group; a standardized difference needs variation`);
  }
  const d = (mean(treated) - mean(control)) / Math.sqrt(pooledVariance);
  const correction = 1 - 3 / (4 * (n1 + n2) - 9);
  return ok({ g: d * correction, nTreated: n1, nControl: n2 });
}
