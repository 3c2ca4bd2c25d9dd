import { correlation, fixedEffects, ols, type OlsFit } from '@edusage/stats';
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
    n: fit.n,
    r2: fit.r2,
    estimate: c.estimate,
    classical: { se: c.se, ciLow: c.ciLow, ciHigh: c.ciHigh, p: c.p, log10p: c.log10p },
    hc1: { se: c.robust.se, ciLow: c.robust.ciLow, ciHigh: c.robust.ciHigh, p: c.robust.p, log10p: c.robust.log10p },
  };
}

/**
 * post ~ usage + pre (the control for prior achievement an ESSA Tier III claim needs), and the same with
 * grade and school fixed effects where the group has more than one grade or school (the first of
 * grade + school, grade, school that is not collinear; else the reason of the first).
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
  // Grades are often nested in schools (grade 3 only at an elementary school), which makes the two sets
  // of dummies collinear: then the first model of grade, school that can be fitted is reported.
  const withGrade = { model: 'post ~ usage + pre + grade', effects: gradeEffects };
  const withSchool = { model: 'post ~ usage + pre + school', effects: schoolEffects };
  const both = { model: 'post ~ usage + pre + grade + school', effects: [...gradeEffects, ...schoolEffects] };
  const candidates =
    gradeEffects.length > 0 && schoolEffects.length > 0
      ? [both, withGrade, withSchool]
      : [withGrade, withSchool].filter((c) => c.effects.length > 0);
  let firstFailure: { ok: false; reason: string } | null = null;
  for (const c of candidates) {
    const fe = ols(post, [...base, ...c.effects], options);
    if (fe.ok) {
      out.push({ ok: true, value: usageEffect(c.model, fe.value) });
      firstFailure = null;
      break;
    }
    firstFailure ??= fe;
  }
  if (firstFailure) out.push(firstFailure);
  return out;
}
