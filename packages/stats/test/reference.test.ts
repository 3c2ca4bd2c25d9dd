// Every statistic against the values numpy/scipy/statsmodels/pingouin computed on the same data
// (reference/make_fixtures.py → fixtures/reference.json). p-values are compared on a log10 scale.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  StatResult,
  baselineDifference,
  correlation,
  fixedEffects,
  hedgesG,
  meanWithCI,
  ols,
  tTwoSided,
  tertileCuts,
} from '@edusage/stats';
import { expectClose, expectFieldsClose } from './close';

interface Dataset {
  name: string;
  level: number;
  goalMinutes: number;
  fixedEffects: boolean;
  data: { usage: number[]; pre: number[]; post: number[]; school?: string[]; grade?: string[] };
  expected: {
    meanGrowth: object;
    meanPre: object;
    correlation: { pearson: object; spearman: object };
    ols: OlsReference;
    olsHc3: OlsReference;
    hedgesGrowth: object;
    hedgesPre: { g: number };
    tertiles: [number, number];
  };
}

interface OlsReference {
  n: number;
  df: number;
  r2: number;
  adjR2: number;
  robustType: 'HC1' | 'HC3';
  coefficients: { name: string }[];
}

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'reference.json'), 'utf8')) as {
  tTails: { t: number; df: number; p: number; log10p: number }[];
  datasets: Dataset[];
};

function value<T>(result: StatResult<T>): T {
  if (!result.ok) throw new Error(`unexpected refusal: ${result.reason}`);
  return result.value;
}

describe('two-sided t p-values against scipy and mpmath (60 digits)', () => {
  it.each(fixture.tTails)('t = $t, df = $df', ({ t, df, p, log10p }) => {
    const actual = tTwoSided(t, df);
    expectClose(actual.log10p, log10p, 'log10p');
    if (p > 0) expectClose(actual.p, p, 'p');
    else expect(actual.p).toBe(0); // below the double range: only log10p carries the value
  });
});

describe.each(fixture.datasets.map((d) => [d.name, d] as const))('data set %s', (_name, set) => {
  const { usage, pre, post } = set.data;
  const growth = post.map((v, i) => v - (pre[i] as number));
  const level = set.level;
  const atGoal = (i: number) => (usage[i] as number) >= set.goalMinutes;
  const split = (xs: number[]) => [xs.filter((_, i) => atGoal(i)), xs.filter((_, i) => !atGoal(i))] as const;

  it('mean with t interval equals scipy.stats.t.interval', () => {
    expectFieldsClose(value(meanWithCI(growth, { level })), set.expected.meanGrowth, 'growth');
    expectFieldsClose(value(meanWithCI(pre, { level })), set.expected.meanPre, 'pre');
  });

  it.each(['pearson', 'spearman'] as const)('%s correlation of usage and growth equals scipy', (method) => {
    const actual = value(correlation(usage, growth, method, { level }));
    expectFieldsClose(actual, set.expected.correlation[method], method);
  });

  it.each(['ols', 'olsHc3'] as const)('%s post ~ usage + pre (+ grade and school) equals statsmodels', (key) => {
    const reference = set.expected[key];
    const predictors = [
      { name: 'usage', values: usage },
      { name: 'pre', values: pre },
      ...(set.fixedEffects
        ? [...fixedEffects(set.data.grade ?? [], 'grade'), ...fixedEffects(set.data.school ?? [], 'school')]
        : []),
    ];
    const fit = value(ols(post, predictors, { level, robust: reference.robustType }));
    const { coefficients, ...overall } = reference;
    expect(fit.robustType).toBe(reference.robustType);
    expectFieldsClose(fit, overall, key);
    expect(fit.coefficients.map((c) => c.name).sort()).toEqual(coefficients.map((c) => c.name).sort());
    for (const expected of coefficients) {
      const actual = fit.coefficients.find((c) => c.name === expected.name);
      expectFieldsClose(actual, expected, expected.name);
    }
    // `only`: the usage coefficient alone, the same double for double as in the full table.
    const usageOnly = value(ols(post, predictors, { level, robust: reference.robustType, only: ['usage'] }));
    expect(usageOnly.coefficients).toEqual([fit.coefficients.find((c) => c.name === 'usage')]);
    expectFieldsClose(
      usageOnly.coefficients[0],
      coefficients.find((c) => c.name === 'usage'),
      'usage only',
    );
    expect({ ...usageOnly, coefficients: [] }).toEqual({ ...fit, coefficients: [] });
  });

  it('Hedges g (at goal vs below) equals pingouin, and the baseline difference uses the same g', () => {
    const [treated, control] = split(growth);
    expectFieldsClose(value(hedgesG(treated, control, { level })), set.expected.hedgesGrowth, 'growth g');
    const [treatedPre, controlPre] = split(pre);
    const baseline = value(baselineDifference(treatedPre, controlPre));
    expectClose(baseline.sdUnits, set.expected.hedgesPre.g, 'baseline sdUnits');
    expect(baseline.exceedsWwc).toBe(Math.abs(set.expected.hedgesPre.g) > 0.25);
  });

  it('tertile cuts equal numpy.quantile', () => {
    const cuts = value(tertileCuts(usage));
    expectClose(cuts.low, set.expected.tertiles[0], 'low cut');
    expectClose(cuts.high, set.expected.tertiles[1], 'high cut');
  });
});
