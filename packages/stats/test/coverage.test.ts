// Do the 95 % intervals cover the true value in about 95 % of samples? Data are simulated with a
// known truth (seeded, so the outcome is fixed, not flaky). With 400 samples the number of covering
// intervals is Binomial(400, 0.95): mean 380, sd 4.4; the accepted range 368–392 (0.92–0.98) is
// ±2.75 sd, so a correct method fails it with probability below 1 %, while an interval that is
// 20 % too narrow (coverage ≈ 0.88) or uses the wrong SE fails it.
import { Rng } from '@edusage/generator';
import { StatResult, correlation, hedgesG, meanWithCI, ols } from '@edusage/stats';

const RUNS = 400;
const MIN_COVERED = 368;
const MAX_COVERED = 392;

function normal(rng: Rng): number {
  // Box–Muller; 1 − next() is in (0, 1], so the logarithm is finite.
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function covered(seed: number, sample: (rng: Rng) => boolean): number {
  const rng = new Rng(seed);
  let count = 0;
  for (let run = 0; run < RUNS; run++) if (sample(rng)) count++;
  return count;
}

function value<T>(result: StatResult<T>): T {
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

/**
 * A class: skewed weekly usage minutes (20 % zeros, the rest log-normal with log-SD usageSpread),
 * pre-test, post-test with a known usage effect.
 */
function classroom(rng: Rng, n: number, usageEffect: number, heteroskedastic: boolean, usageSpread = 0.8) {
  const usage: number[] = [];
  const pre: number[] = [];
  const post: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.chance(0.2) ? 0 : Math.exp(4 + usageSpread * normal(rng));
    const p = 500 + 40 * normal(rng);
    const noiseSd = heteroskedastic ? 5 + 0.3 * u : 15;
    usage.push(u);
    pre.push(p);
    post.push(60 + 0.9 * p + usageEffect * u + noiseSd * normal(rng));
  }
  return { usage, pre, post };
}

const TRUE_EFFECT = 0.05;

describe(`95 % intervals cover the truth in ${MIN_COVERED}–${MAX_COVERED} of ${RUNS} simulated data sets`, () => {
  it('OLS usage coefficient, classical SE (normal, equal-variance errors, n = 40)', () => {
    const count = covered(101, (rng) => {
      const { usage, pre, post } = classroom(rng, 40, TRUE_EFFECT, false);
      const fit = value(
        ols(post, [
          { name: 'usage', values: usage },
          { name: 'pre', values: pre },
        ]),
      );
      const c = fit.coefficients[1];
      return c !== undefined && c.ciLow <= TRUE_EFFECT && TRUE_EFFECT <= c.ciHigh;
    });
    expect(count).toBeGreaterThanOrEqual(MIN_COVERED);
    expect(count).toBeLessThanOrEqual(MAX_COVERED);
  });

  // With usage log-SD 0.8 (a few students using 10× the median) and error spread growing with usage,
  // HC1 covers only about 0.87–0.89 at n = 200 and 0.91–0.93 at n = 1000 (statsmodels' HC1 gives the
  // same) (README "Known limits"). Here the moderate skew where HC1 is meant to work.
  it('OLS usage coefficient, HC1 SE (error spread grows with usage, log-SD 0.5, n = 200)', () => {
    let classicalCount = 0;
    const count = covered(202, (rng) => {
      const { usage, pre, post } = classroom(rng, 200, TRUE_EFFECT, true, 0.5);
      const c = value(
        ols(post, [
          { name: 'usage', values: usage },
          { name: 'pre', values: pre },
        ]),
      ).coefficients[1];
      if (c === undefined) return false;
      if (c.ciLow <= TRUE_EFFECT && TRUE_EFFECT <= c.ciHigh) classicalCount++;
      return c.robust.ciLow <= TRUE_EFFECT && TRUE_EFFECT <= c.robust.ciHigh;
    });
    expect(count).toBeGreaterThanOrEqual(MIN_COVERED);
    expect(count).toBeLessThanOrEqual(MAX_COVERED);
    // The reason for HC1: here the classical interval is too narrow.
    expect(classicalCount).toBeLessThan(MIN_COVERED);
  });

  // Seed 707 gives 343 (HC1) and 361 (HC3) of 400: both short of 95 %, HC3 less so (README "Known limits").
  it('at heavy usage skew (log-SD 0.8, n = 200) HC1 under-covers and HC3 covers more often', () => {
    let hc1 = 0;
    let hc3 = 0;
    covered(707, (rng) => {
      const { usage, pre, post } = classroom(rng, 200, TRUE_EFFECT, true, 0.8);
      const predictors = [
        { name: 'usage', values: usage },
        { name: 'pre', values: pre },
      ];
      const a = value(ols(post, predictors)).coefficients[1];
      const b = value(ols(post, predictors, { robust: 'HC3' })).coefficients[1];
      if (a && a.robust.ciLow <= TRUE_EFFECT && TRUE_EFFECT <= a.robust.ciHigh) hc1++;
      if (b && b.robust.ciLow <= TRUE_EFFECT && TRUE_EFFECT <= b.robust.ciHigh) hc3++;
      return true;
    });
    expect(hc1).toBeLessThan(MIN_COVERED);
    expect(hc3).toBeGreaterThan(hc1);
  });

  it('mean growth (n = 12)', () => {
    const count = covered(303, (rng) => {
      const growth = Array.from({ length: 12 }, () => 8 + 12 * normal(rng));
      const m = value(meanWithCI(growth));
      return m.ciLow <= 8 && 8 <= m.ciHigh;
    });
    expect(count).toBeGreaterThanOrEqual(MIN_COVERED);
    expect(count).toBeLessThanOrEqual(MAX_COVERED);
  });

  // Bivariate normal with correlation rho: Pearson's truth is rho, Spearman's is (6/π)·asin(rho/2).
  const RHO = 0.4;
  const bivariate = (rng: Rng, n: number) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = normal(rng);
      x.push(a);
      y.push(RHO * a + Math.sqrt(1 - RHO * RHO) * normal(rng));
    }
    return { x, y };
  };

  it.each([
    ['pearson', RHO, 404],
    ['spearman', (6 / Math.PI) * Math.asin(RHO / 2), 505],
  ] as const)('%s correlation (Fisher z, n = 60)', (method, truth, seed) => {
    const count = covered(seed, (rng) => {
      const { x, y } = bivariate(rng, 60);
      const r = value(correlation(x, y, method));
      return r.ciLow <= truth && truth <= r.ciHigh;
    });
    expect(count).toBeGreaterThanOrEqual(MIN_COVERED);
    expect(count).toBeLessThanOrEqual(MAX_COVERED);
  });

  it('Hedges g (true difference 0.5 SD, groups of 25 and 35)', () => {
    const count = covered(606, (rng) => {
      const treated = Array.from({ length: 25 }, () => 0.5 + normal(rng));
      const control = Array.from({ length: 35 }, () => normal(rng));
      const g = value(hedgesG(treated, control));
      return g.ciLow <= 0.5 && 0.5 <= g.ciHigh;
    });
    expect(count).toBeGreaterThanOrEqual(MIN_COVERED);
    expect(count).toBeLessThanOrEqual(MAX_COVERED);
  });
});
