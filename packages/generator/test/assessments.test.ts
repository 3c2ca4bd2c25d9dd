import { ASSESSMENT_SPECS, generateAssessments, generateDistrict } from '../src';

describe('generated assessments', () => {
  const district = () => generateDistrict({ seed: 7, startDate: '2026-11-09', days: 5, schools: 2 });

  it('gives every enabled student a pre and a post test per spec, deterministically', () => {
    const a = generateAssessments(district());
    const students = district().roster.users.filter((u) => u.role === 'student' && u.enabledUser === 'true');
    expect(a).toHaveLength(students.length * ASSESSMENT_SPECS.length);
    expect(generateAssessments(district())).toEqual(a);
    for (const t of a) {
      expect(t.preDate).toBe('2026-11-08');
      expect(t.postDate).toBe('2026-11-14');
      expect(Number.isInteger(t.pre) && Number.isInteger(t.post)).toBe(true);
    }
  });

  it('growth follows the documented model: post - pre - baseGrowth - beta × minutes is centred noise', () => {
    const a = generateAssessments(district());
    for (const spec of ASSESSMENT_SPECS) {
      const rows = a.filter((t) => t.assessment === spec.assessment && t.subject === spec.subject);
      const residuals = rows.map((t) => t.post - t.pre - spec.baseGrowth - spec.beta * t.minutesPerWeek);
      const mean = residuals.reduce((s, x) => s + x, 0) / residuals.length;
      const sd = Math.sqrt(residuals.reduce((s, x) => s + (x - mean) ** 2, 0) / (residuals.length - 1));
      // Rounding adds at most ±1 and sd ≈ 0.4 to the noise.
      expect(Math.abs(mean)).toBeLessThan((4 * spec.noiseSd) / Math.sqrt(rows.length) + 1);
      expect(sd).toBeGreaterThan(spec.noiseSd * 0.75);
      expect(sd).toBeLessThan(spec.noiseSd * 1.3);
    }
    // Usage varies (some students use ixl, some do not), or the effect could not be recovered.
    const ixl = a.filter((t) => t.app === 'ixl' && t.assessment === 'map_growth').map((t) => t.minutesPerWeek);
    expect(ixl.some((m) => m === 0)).toBe(true);
    expect(ixl.filter((m) => m > 10).length).toBeGreaterThan(10);
  });
});
