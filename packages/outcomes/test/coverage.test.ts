/**
 * Over many fixed seeds with a known true effect, the 95 % interval of the usage coefficient
 * (post ~ usage + pre) covers the generator's beta in about 95 % of runs, for the classical and the
 * HC1 interval. Uses the generator's truth directly (no pipeline), so it stays fast: 4 districts
 * (generator seeds) × 50 noise seeds each = 200 runs per specification.
 */
import {
  ASSESSMENT_SPECS,
  engagedSecondsByStudentApp,
  generateAssessments,
  generateDistrict,
} from '@edusage/generator';
import { usageRegressions } from '../src';
import { windowsFromTruth } from './support/truth';

jest.setTimeout(300_000);

describe('coverage of the true effect', () => {
  const specs = ASSESSMENT_SPECS.filter((s) => s.assessment === 'map_growth');
  const hits = new Map(specs.map((s) => [s.subject, { classical: 0, hc1: 0, runs: 0 }]));
  beforeAll(() => {
    for (const districtSeed of [11, 12, 13, 14]) {
      const sample = generateDistrict({ seed: districtSeed, startDate: '2026-11-09', days: 5, schools: 2 });
      const usage = engagedSecondsByStudentApp(sample.events());
      for (let noise = 0; noise < 50; noise++) {
        const truths = generateAssessments(sample, specs, usage, 1000 * districtSeed + noise);
        for (const spec of specs) {
          const fit = usageRegressions(windowsFromTruth(sample, truths, spec.assessment, spec.subject))[0]!;
          if (!fit.ok) throw new Error(fit.reason);
          const h = hits.get(spec.subject)!;
          h.runs++;
          if (fit.value.classical.ciLow <= spec.beta && spec.beta <= fit.value.classical.ciHigh) h.classical++;
          if (fit.value.hc1.ciLow <= spec.beta && spec.beta <= fit.value.hc1.ciHigh) h.hc1++;
        }
      }
    }
  });

  // 200 runs: the share's standard error is √(0.95·0.05/200) ≈ 1.5 %, so 91 %–99 % is ±2.7 SE.
  it.each(['math', 'reading'] as const)('%s: the 95 %% interval covers beta in 91-99 %% of 200 runs', (subject) => {
    const h = hits.get(subject)!;
    expect(h.runs).toBe(200);
    expect(h.classical / h.runs).toBeGreaterThanOrEqual(0.91);
    expect(h.classical / h.runs).toBeLessThanOrEqual(0.99);
    expect(h.hc1 / h.runs).toBeGreaterThanOrEqual(0.91);
    expect(h.hc1 / h.runs).toBeLessThanOrEqual(0.99);
  });
});
