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
const pText = (p: number, log10p: number) => (p >= 0.001 ? `p = ${p.toFixed(3)}` : `p = 1e${Math.ceil(log10p)}`);

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
  const est = `${fmt(r.estimate, 3)} points per minute/week (95 % CI ${fmt(r.hc1.ciLow, 3)} to ${fmt(r.hc1.ciHigh, 3)}, ${pText(r.hc1.p, r.hc1.log10p)}, robust SE, n = ${r.n})`;
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
