import { baselineDifference, hedgesG } from '@edusage/stats';
import type { StudentWindow } from '../usage';
import { goalBands, growthOf } from './bands';
import type { Outcome } from './relation';

export interface EffectSize {
  g: number;
  ciLow: number;
  ciHigh: number;
  nAtGoal: number;
  nBelow: number;
  /** Pre-test difference in pooled SD units (at goal − below/none), and the WWC reading of it. */
  baselineSd: number | null;
  baselineWarning: string | null;
}

/**
 * Hedges g of growth, students at goal against those below goal or not using the app, with the baseline
 * (pre-test) difference in SD; > 0.25 SD is a warning (WWC: groups not comparable). Refused when either
 * side has fewer than k students, so no small band's mean can be inferred from it.
 */
export function atGoalEffect(students: readonly StudentWindow[], goal: number, k: number): Outcome<EffectSize> {
  const bands = new Map(goalBands(students, goal));
  const atGoal = bands.get('at_goal')!;
  const below = [...bands.get('none')!, ...bands.get('below_goal')!];
  // The reason names no count: a band under k is hidden, and its size must not show up here either.
  if (atGoal.length < k || below.length < k)
    return { ok: false, reason: `needs at least ${k} students at goal and ${k} below goal or without use` };
  const g = hedgesG(atGoal.map(growthOf), below.map(growthOf), {
    treatedName: 'at goal',
    controlName: 'below goal or no use',
    measure: 'growth',
  });
  if (!g.ok) return g;
  const base = baselineDifference(
    atGoal.map((s) => s.pre),
    below.map((s) => s.pre),
    { treatedName: 'at goal', controlName: 'below goal or no use', measure: 'pre-test' },
  );
  return {
    ok: true,
    value: {
      g: g.value.g,
      ciLow: g.value.ciLow,
      ciHigh: g.value.ciHigh,
      nAtGoal: atGoal.length,
      nBelow: below.length,
      baselineSd: base.ok ? base.value.sdUnits : null,
      baselineWarning: !base.ok
        ? base.reason
        : base.value.exceedsWwc
          ? `baseline differs by ${base.value.sdUnits.toFixed(2)} SD (> 0.25): the groups were not comparable before; the comparison is not credible`
          : null,
    },
  };
}
