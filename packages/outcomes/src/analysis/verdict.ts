import type { EffectSize } from './effect-size';
import type { Outcome, UsageEffect } from './relation';

/** Below this many students a finding is flagged as resting on a small sample. */
export const SMALL_N = 50;
const ALPHA = 0.05;

export interface Verdict {
  meetsTierIII: boolean;
  text: string;
  caveats: string[];
}

const fmt = (x: number, d = 2) => x.toFixed(d);
/** Below this a p-value is printed as a bound: more digits say nothing more. */
const P_FLOOR = 0.001;

/**
 * "p < 0.001", else two significant figures, more while rounding would put p on the other side of α:
 * 0.04996 is "0.04996", never "0.050" beside "statistically significant".
 */
function pText(p: number): string {
  if (p < P_FLOOR) return `p < ${P_FLOOR}`;
  let digits = 2;
  while (digits < 17 && Number(p.toPrecision(digits)) < ALPHA !== p < ALPHA) digits++;
  return `p = ${p.toPrecision(digits)}`;
}

/**
 * The plain-language reading. An ESSA Tier III ("promising evidence") claim needs a positive,
 * statistically significant effect on a relevant outcome from a correlational study with statistical
 * controls for selection bias; here: the usage coefficient of post ~ usage + pre, with the robust
 * (HC1) standard error. The caveats say why it stays weaker evidence.
 */
export function verdict(
  app: string,
  regression: Outcome<UsageEffect> | undefined,
  effect: Outcome<EffectSize>,
  n: number,
): Verdict {
  const needs =
    'An ESSA Tier III (promising evidence) claim needs a positive, statistically significant effect on an outcome, from a study that controls for prior achievement.';
  const caveats = [
    'Correlational, not causal: students who used the app more may differ in ways the pre-test does not capture (motivation, teacher, schedule).',
  ];
  if (n < SMALL_N) caveats.push(`Small sample: ${n} students (< ${SMALL_N}); estimates are imprecise.`);
  if (effect.ok && effect.value.baselineWarning) caveats.push(effect.value.baselineWarning);
  if (!regression || !regression.ok) {
    const why = regression && !regression.ok ? regression.reason : 'no students';
    return { meetsTierIII: false, text: `${needs} This analysis cannot tell: ${why}.`, caveats };
  }
  const r = regression.value;
  const est = `${fmt(r.estimate, 3)} points per minute/week (95 % CI ${fmt(r.hc1.ciLow, 3)} to ${fmt(r.hc1.ciHigh, 3)}, ${pText(r.hc1.p)}, robust SE, n = ${r.n})`;
  const significant = r.hc1.p < ALPHA;
  if (significant && r.estimate > 0)
    return {
      meetsTierIII: true,
      text: `${needs} This analysis meets it: more ${app} use goes with more growth, controlling for the pre-test: ${est}.`,
      caveats,
    };
  const why =
    significant && r.estimate < 0
      ? `more ${app} use goes with less growth: ${est}`
      : `the association is not statistically significant: ${est}`;
  return { meetsTierIII: false, text: `${needs} This analysis does not meet it: ${why}.`, caveats };
}
