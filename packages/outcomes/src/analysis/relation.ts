import { correlation, fixedEffects, ols, type OlsFit, type Predictor } from '@edusage/stats';
import type { StudentWindow } from '../usage';
import { growthOf } from './bands';

export interface CorrelationRow {
  method: 'pearson' | 'spearman';
  r: number;
  ciLow: number;
  ciHigh: number;
  p: number;
  log10p: number;
  n: number;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Correlation of minutes per week with growth (post − pre), both methods. */
export function usageGrowthCorrelations(students: readonly StudentWindow[]): Outcome<CorrelationRow>[] {
  const usage = students.map((s) => s.minutesPerWeek);
  const growth = students.map(growthOf);
  return (['pearson', 'spearman'] as const).map((method) => {
    const c = correlation(usage, growth, method, { xName: 'minutes per week', yName: 'growth' });
    return c.ok
      ? {
          ok: true,
          value: {
            method,
            r: c.value.r,
            ciLow: c.value.ciLow,
            ciHigh: c.value.ciHigh,
            p: c.value.p,
            log10p: c.value.log10p,
            n: c.value.n,
          },
        }
      : c;
  });
}

/** The usage coefficient of a fit, with both standard errors. */
export interface UsageEffect {
  model: string;
  /** Fixed-effect dummies left out of the model because they were aliased (e.g. "school[C]"); [] when none. */
  dropped: string[];
  n: number;
  r2: number;
  estimate: number;
  classical: { se: number; ciLow: number; ciHigh: number; p: number; log10p: number };
  hc1: { se: number; ciLow: number; ciHigh: number; p: number; log10p: number };
}

function usageEffect(model: string, fit: OlsFit): UsageEffect {
  const c = fit.coefficients.find((x) => x.name === 'usage')!;
  return {
    model,
    dropped: fit.dropped,
    n: fit.n,
    r2: fit.r2,
    estimate: c.estimate,
    classical: { se: c.se, ciLow: c.ciLow, ciHigh: c.ciHigh, p: c.p, log10p: c.log10p },
    hc1: { se: c.robust.se, ciLow: c.robust.ciLow, ciHigh: c.robust.ciHigh, p: c.robust.p, log10p: c.robust.log10p },
  };
}

/**
 * post ~ usage + pre (the control for prior achievement an ESSA Tier III claim needs), and the same with
 * grade and school fixed effects where the group has more than one grade or school. Dummies that are
 * aliased (a school whose grades are its own: school[C] = grade[06] + grade[07]) are left out and named,
 * the others kept; when every school dummy is aliased (grades nested in schools) the model is grade only.
 */
export function usageRegressions(students: readonly StudentWindow[]): Outcome<UsageEffect>[] {
  const post = students.map((s) => s.post);
  const base = [
    { name: 'usage', values: students.map((s) => s.minutesPerWeek) },
    { name: 'pre', values: students.map((s) => s.pre) },
  ];
  const out: Outcome<UsageEffect>[] = [];
  // Only the usage coefficient is reported: its p-values are the only ones worth computing.
  const options = { outcomeName: 'post-test score', only: ['usage'] };
  const fit = ols(post, base, options);
  out.push(fit.ok ? { ok: true, value: usageEffect('post ~ usage + pre', fit.value) } : fit);
  const grades = students.map((s) => s.grade || '(none)');
  const schools = students.map((s) => s.schoolId || '(none)');
  const gradeEffects = new Set(grades).size > 1 ? fixedEffects(grades, 'grade') : [];
  const schoolEffects = new Set(schools).size > 1 ? fixedEffects(schools, 'school') : [];
  const dummies = [...gradeEffects, ...schoolEffects];
  if (dummies.length === 0) return out;
  // Grades first: a school dummy is checked against the grade dummies (and the schools before it). One
  // set alone is never aliased (its levels are distinct), so the check runs only where both vary.
  const crossed = gradeEffects.length > 0 && schoolEffects.length > 0;
  const fe = ols(post, [...base, ...dummies], { ...options, dropAliased: crossed ? dummies.map((d) => d.name) : [] });
  out.push(
    fe.ok ? { ok: true, value: usageEffect(fixedEffectsModel(gradeEffects, schoolEffects, fe.value), fe.value) } : fe,
  );
  return out;
}

/**
 * "post ~ usage + pre + grade + school" without a set all of whose dummies were left out (schools that
 * add nothing to grades), naming the dummies left out of a set that stays.
 */
function fixedEffectsModel(grades: readonly Predictor[], schools: readonly Predictor[], fit: OlsFit): string {
  const left = (set: readonly Predictor[]) => set.filter((d) => fit.dropped.includes(d.name)).map((d) => d.name);
  const sets = [
    { term: 'grade', dummies: grades },
    { term: 'school', dummies: schools },
  ].filter((s) => s.dummies.length > left(s.dummies).length);
  const model = `post ~ usage + pre + ${sets.map((s) => s.term).join(' + ')}`;
  const named = sets.flatMap((s) => left(s.dummies));
  return named.length > 0 ? `${model} (aliased, left out: ${named.join(', ')})` : model;
}
