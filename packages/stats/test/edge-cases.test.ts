// Data that cannot give a statistic gets a sentence naming the problem, never NaN or a throw.
import {
  StatResult,
  baselineDifference,
  correlation,
  fixedEffects,
  hedgesG,
  meanWithCI,
  ols,
  tertileCuts,
  tertileOf,
  completeCases,
} from '@edusage/stats';

function reason<T>(result: StatResult<T>): string {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  return result.reason;
}

/** No NaN or ±Infinity anywhere in a successful result. */
function expectAllFinite(value: unknown, label = 'value'): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${label} is ${value}`);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) expectAllFinite(v, `${label}.${k}`);
  }
}

const usage = [0, 10, 25, 40, 55, 70, 90, 120, 150, 200];
const pre = [480, 495, 510, 470, 520, 505, 490, 515, 500, 485];
const post = [490, 502, 520, 486, 533, 520, 501, 534, 518, 501];

describe('too few students', () => {
  it('mean of one value', () => {
    expect(reason(meanWithCI([3], { name: 'growth' }))).toBe(
      'a confidence interval for the mean growth needs at least 2 students, got 1',
    );
  });
  it('correlation of 3 students', () => {
    expect(reason(correlation([1, 2, 3], [2, 1, 3], 'pearson'))).toMatch(/needs at least 4 students, got 3/);
  });
  it('regression with as many coefficients as students', () => {
    expect(
      reason(
        ols(
          [1, 2, 4],
          [
            { name: 'usage', values: [1, 2, 3] },
            { name: 'pre', values: [3, 1, 2] },
          ],
        ),
      ),
    ).toBe('a regression with 3 coefficients needs at least 4 students (one more than coefficients), got 3');
  });
  it('Hedges g with one student in a group', () => {
    expect(reason(hedgesG([1], [1, 2, 3], { treatedName: 'at-goal group' }))).toBe(
      'the at-goal group needs at least 2 students, got 1',
    );
  });
  it('tertiles of two values', () => {
    expect(reason(tertileCuts([1, 2], 'usage'))).toBe('tertiles of usage need at least 3 students, got 2');
  });
});

describe('zero variance', () => {
  it('usage the same for everybody: correlation and regression say so', () => {
    const flat = usage.map(() => 30);
    expect(reason(correlation(flat, post, 'spearman', { xName: 'usage', yName: 'growth' }))).toBe(
      'usage has the same value (30) for every student; a correlation needs variation',
    );
    expect(reason(ols(post, [{ name: 'usage', values: flat }]))).toMatch(
      /^predictor usage has the same value \(30\) for every student/,
    );
  });
  it('outcome the same for everybody', () => {
    expect(
      reason(
        ols(
          usage.map(() => 500),
          [{ name: 'usage', values: usage }],
          { outcomeName: 'post-test score' },
        ),
      ),
    ).toBe('post-test score has the same value (500) for every student; there is nothing to explain');
  });
  it('scores constant within both groups: no standardized difference', () => {
    expect(reason(hedgesG([5, 5, 5], [4, 4], { measure: 'growth' }))).toMatch(
      /growth has the same value within each group/,
    );
  });
  it('a constant column has a mean with a zero-width interval, not an error', () => {
    const result = meanWithCI([7, 7, 7]);
    expect(result).toEqual({ ok: true, value: { n: 3, mean: 7, sd: 0, se: 0, ciLow: 7, ciHigh: 7 } });
  });
});

describe('collinearity', () => {
  it('a predictor that is a multiple of another is named', () => {
    const hours = usage.map((m) => m / 60);
    expect(
      reason(
        ols(post, [
          { name: 'usage', values: usage },
          { name: 'usage hours', values: hours },
        ]),
      ),
    ).toBe(
      'predictor usage hours is perfectly collinear: it is a linear combination of intercept, usage; ' +
        'remove it (for fixed effects: a group that coincides with another group or with a predictor)',
    );
  });
  it('a school dummy that coincides with a grade dummy is named', () => {
    const school = ['A', 'A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'B'];
    const grade = ['3', '3', '3', '3', '3', '4', '4', '4', '4', '4'];
    const result = ols(post, [
      { name: 'usage', values: usage },
      ...fixedEffects(grade, 'grade'),
      ...fixedEffects(school, 'school'),
    ]);
    expect(reason(result)).toMatch(
      /^predictor school\[B\] is perfectly collinear: it is a linear combination of intercept, usage, grade\[4\]/,
    );
  });
  it('HC3 with a school of one student says why it is undefined; HC1 still works', () => {
    const school = ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'B', 'C'];
    const predictors = [{ name: 'usage', values: usage }, ...fixedEffects(school, 'school')];
    expect(reason(ols(post, predictors, { robust: 'HC3' }))).toMatch(
      /^the student at position 9 alone determines a coefficient \(leverage 1/,
    );
    const hc1 = ols(post, predictors);
    expect(hc1.ok).toBe(true);
    if (hc1.ok) expectAllFinite(hc1.value);
  });
  it('a predictor fitting the outcome exactly', () => {
    expect(
      reason(
        ols(
          usage.map((u) => 2 * u + 1),
          [{ name: 'usage', values: usage }],
        ),
      ),
    ).toMatch(/reproduce outcome exactly/);
  });
  it('a perfect correlation', () => {
    expect(
      reason(
        correlation(
          usage,
          usage.map((u) => u * 3),
          'pearson',
          { xName: 'usage', yName: 'growth' },
        ),
      ),
    ).toMatch(/^usage and growth are perfectly linearly related/);
  });
});

describe('aliased fixed effects (dropAliased)', () => {
  // Schools A and B teach grades 03 and 04, school C (a middle school) 06 and 07: school[C] = grade[06] +
  // grade[07]. Outcome 200 + 0.05·usage + 6·[A] + 3·[04] + 20·[06] + 24·[07] ± 1: each cell holds two
  // usages, each twice with residuals +1 and −1, so the residuals sum to 0 in every cell and against
  // usage, and OLS returns these coefficients. With A and grade 03 as references: intercept 206,
  // school[B] −6, grade[04] 3, and grade[06], grade[07] take C's −6 (14, 18).
  const cells: [school: string, grade: string, usages: [number, number]][] = [
    ['A', '03', [40, 60]],
    ['A', '04', [50, 70]],
    ['B', '03', [10, 30]],
    ['B', '04', [0, 20]],
    ['C', '06', [20, 40]],
    ['C', '07', [30, 10]],
  ];
  const effect: Record<string, number> = { A: 6, B: 0, C: 0, '03': 0, '04': 3, '06': 20, '07': 24 };
  const rows = cells.flatMap(([school, grade, usages]) =>
    usages.flatMap((u) => [1, -1].map((e) => ({ school, grade, usage: u, e }))),
  );
  const y = rows.map((r) => 200 + 0.05 * r.usage + effect[r.school]! + effect[r.grade]! + r.e);
  const dummies = [
    ...fixedEffects(
      rows.map((r) => r.grade),
      'grade',
    ),
    ...fixedEffects(
      rows.map((r) => r.school),
      'school',
    ),
  ];
  const predictors = [{ name: 'usage', values: rows.map((r) => r.usage) }, ...dummies];

  it('leaves out only the aliased dummy, names it, and fits the others', () => {
    const fit = ols(y, predictors, { dropAliased: dummies.map((d) => d.name) });
    if (!fit.ok) throw new Error(fit.reason);
    expect(fit.value.dropped).toEqual(['school[C]']);
    const estimates = Object.fromEntries(fit.value.coefficients.map((c) => [c.name, c.estimate]));
    const expected = { intercept: 206, usage: 0.05, 'grade[04]': 3, 'grade[06]': 14, 'grade[07]': 18, 'school[B]': -6 };
    expect(Object.keys(estimates)).toEqual(Object.keys(expected));
    for (const [name, value] of Object.entries(expected))
      expect([name, estimates[name]]).toEqual([name, expect.closeTo(value, 9)]);
    // 24 students, 6 coefficients.
    expect(fit.value.df).toBe(18);
  });

  it('without the option the aliased dummy is a reason, as before', () => {
    expect(reason(ols(y, predictors))).toMatch(/^predictor school\[C\] is perfectly collinear/);
  });

  it('a dummy aliased with a predictor outside the list is still a reason', () => {
    // Usage is the school's (A 40, B 10, C 20). school[C] is left out (aliased with the grades), and
    // school[B] = (40 − usage − 20·grade[06] − 20·grade[07]) / 30 involves usage: a reason.
    const bySchool: Record<string, number> = { A: 40, B: 10, C: 20 };
    const schoolUsage = [{ name: 'usage', values: rows.map((r) => bySchool[r.school]!) }, ...dummies];
    expect(reason(ols(y, schoolUsage, { dropAliased: dummies.map((d) => d.name) }))).toMatch(
      /^predictor school\[B\] is perfectly collinear: it is a linear combination of intercept, usage, grade\[04\], grade\[06\], grade\[07\];/,
    );
  });
});

describe('missing pre-scores', () => {
  const preWithGaps = [480, NaN, 510, 470, 520, NaN, 490, 515, 500, 485];
  it('are refused with their positions', () => {
    expect(
      reason(
        ols(post, [
          { name: 'usage', values: usage },
          { name: 'pre', values: preWithGaps },
        ]),
      ),
    ).toBe(
      'predictor pre is missing or not a number for 2 of 10 students (positions 1, 5); drop incomplete rows first (completeCases)',
    );
    expect(reason(baselineDifference(preWithGaps.slice(0, 5), preWithGaps.slice(5)))).toMatch(
      /^pre-test score in the treated group is missing or not a number for 1 of 5 students \(positions 1\)/,
    );
  });
  it('completeCases drops them and counts what was missing', () => {
    const rows = completeCases({ usage, pre: [480, null, 510, 470, 520, undefined, 490, 515, 500, NaN], post });
    expect(rows.kept).toEqual([0, 2, 3, 4, 6, 7, 8]);
    expect(rows.dropped).toBe(3);
    expect(rows.missing).toEqual({ usage: 0, pre: 3, post: 0 });
    expect(rows.columns.pre).toEqual([480, 510, 470, 520, 490, 515, 500]);
    expect(rows.columns.post).toEqual([490, 520, 486, 533, 501, 534, 518]);
    const fit = ols(rows.columns.post, [
      { name: 'usage', values: rows.columns.usage },
      { name: 'pre', values: rows.columns.pre },
    ]);
    expect(fit.ok).toBe(true);
    if (fit.ok) expectAllFinite(fit.value);
  });
  it('lists at most five positions', () => {
    expect(reason(meanWithCI([NaN, NaN, NaN, NaN, NaN, NaN, NaN, 1], { name: 'growth' }))).toMatch(
      /positions 0, 1, 2, 3, 4 and 2 more/,
    );
  });
});

describe('bands', () => {
  it('everybody with the same usage cannot be split into tertiles', () => {
    expect(reason(tertileCuts([0, 0, 0, 0, 0, 0, 0, 10, 20], 'usage'))).toBe(
      'more than a third of students have the same usage (0), so three usage bands cannot be formed; use fixed bands instead',
    );
  });
  it('many zeros still give three bands when the cuts differ; zeros land in the low band', () => {
    const cuts = tertileCuts([0, 0, 0, 0, 5, 10, 20, 30, 40], 'usage');
    // sorted positions 8/3 (between two zeros) and 16/3 (a third of the way from 10 to 20)
    if (!cuts.ok) throw new Error(cuts.reason);
    expect(cuts.value.low).toBe(0);
    expect(cuts.value.high).toBeCloseTo(10 + 10 / 3, 12);
    expect([0, 5, 10, 13, 14, 30].map((u) => tertileOf(u, cuts.value))).toEqual([
      'low',
      'middle',
      'middle',
      'middle',
      'high',
      'high',
    ]);
  });
  it('all students in one group: no comparison group', () => {
    expect(reason(hedgesG(post, [], { controlName: 'below-goal group' }))).toBe(
      'the below-goal group needs at least 2 students, got 0',
    );
  });
});

describe('input shape', () => {
  it('columns of different lengths', () => {
    expect(reason(correlation([1, 2, 3, 4], [1, 2, 3], 'pearson', { xName: 'usage', yName: 'growth' }))).toBe(
      'growth has 3 values but usage has 4; every column needs one value per student',
    );
  });
  it('a confidence level outside (0, 1)', () => {
    expect(reason(meanWithCI([1, 2, 3], { level: 95 }))).toBe(
      'confidence level must be between 0 and 1 (exclusive), got 95',
    );
  });
  it('two predictors with the same name', () => {
    expect(
      reason(
        ols(post, [
          { name: 'usage', values: usage },
          { name: 'usage', values: pre },
        ]),
      ),
    ).toMatch(/two coefficients are named "usage"/);
  });
});

describe('WWC baseline categories', () => {
  // Groups built so the pooled SD is 1 and the mean difference is chosen by hand.
  const control = [-1, 1, -1, 1, -1, 1, -1, 1, -1, 1]; // mean 0, sd √(10/9)
  const shifted = (d: number) => control.map((v) => v + d);
  const correction = 1 - 3 / (4 * 20 - 9);
  const sd = Math.sqrt(10 / 9);
  it.each([
    [0.04, 'satisfies', false],
    [0.2, 'requires statistical adjustment', false],
    [0.3, 'does not satisfy', true],
  ] as const)('difference %s SD: %s', (inSd, wwc, exceedsWwc) => {
    const result = baselineDifference(shifted((inSd * sd) / correction), control);
    expect(result.ok && result.value.wwc).toBe(wwc);
    expect(result.ok && result.value.exceedsWwc).toBe(exceedsWwc);
    expect(result.ok && result.value.sdUnits).toBeCloseTo(inSd, 12);
  });
});
