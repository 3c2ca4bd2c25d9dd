/** The arithmetic of metrics.ts and the window rules, with expectations written by hand from the definitions. */
import {
  districtTotals,
  inForce,
  licenseMetrics,
  parseWindow,
  uncoveredAfterTerm,
  windowDays,
  WindowError,
  type StoredLicense,
} from '../src';

const license = (over: Partial<StoredLicense>): StoredLicense => ({
  license_id: 'L',
  app_id: 'ixl',
  vendor: '',
  school_id: '',
  seats: 100,
  unlimited_seats: 0,
  cost: 1000,
  cost_basis: 'flat',
  currency: 'USD',
  term_start: '2026-07-01',
  term_end: '2027-06-30',
  renewal_date: '',
  audience: 'students',
  audience_roles: ['student'],
  grades: [],
  notes: '',
  ...over,
});
const counts = (eligible: number, active: number, students = eligible, engaged_seconds = 0) => ({
  license_id: 'L',
  eligible,
  students,
  active,
  engaged_seconds,
});

describe('license metrics', () => {
  it('100 seats, 25 active, $1000 flat: utilization 25%, idle $750, $40 per active user, EPI 4', () => {
    const m = licenseMetrics(license({}), counts(200, 25, 200, 7200), []);
    expect(m).toMatchObject({ total_cost: 1000, utilization: 0.25, reach: 0.125, unused_seats: 75, idle_cost: 750 });
    expect(m.cost_per_active_user).toBe(40);
    expect(m.cost_per_engaged_hour).toBe(500);
    expect(m.epi).toBe(4);
    expect(m.flags).toEqual(['too_many_licenses']);
  });

  it('per seat and per student costs; more active than seats counts as fully used', () => {
    expect(licenseMetrics(license({ cost: 3, cost_basis: 'per_seat' }), counts(10, 150), []).total_cost).toBe(300);
    const full = licenseMetrics(license({ cost: 7, cost_basis: 'per_student' }), counts(40, 150, 30), []);
    expect(full).toMatchObject({ total_cost: 210, utilization: 1.5, unused_seats: 0, idle_cost: 0, epi: 1 });
  });

  it('unlimited seats: utilization and unused seats n/a, the used share is the reach', () => {
    const m = licenseMetrics(license({ seats: 0, unlimited_seats: 1 }), counts(400, 100), []);
    expect(m).toMatchObject({
      seats: null,
      utilization: null,
      unused_seats: null,
      reach: 0.25,
      idle_cost: 750,
      epi: 4,
    });
  });

  it('never used: no cost per user, no EPI, and the cost flags', () => {
    const m = licenseMetrics(license({}), counts(50, 0), []);
    expect(m).toMatchObject({ cost_per_active_user: null, epi: null, idle_cost: 1000 });
    expect(m.flags.sort()).toEqual(['expensive_underused', 'high_cost_low_use', 'too_many_licenses']);
  });

  it('school flags: uneven reach; popular at one school of three', () => {
    const school = (school_id: string, eligible: number, active: number) => ({
      license_id: 'L',
      school_id,
      eligible,
      active,
    });
    const m = licenseMetrics(license({ seats: 60 }), counts(60, 55), [
      school('a', 20, 18),
      school('b', 20, 2),
      school('c', 20, 1),
    ]);
    expect(m.flags.sort()).toEqual(['popular_at_few_schools', 'uneven_across_schools']);
    // Schools below the eligible minimum do not count.
    const small = licenseMetrics(license({ seats: 60 }), counts(60, 55), [school('a', 20, 18), school('b', 4, 0)]);
    expect(small.flags).toEqual([]);
  });

  it('district EPI is Σ cost ÷ Σ used cost, per currency', () => {
    const a = licenseMetrics(license({}), counts(100, 50), []); // $1000, half used
    const b = licenseMetrics(license({ cost: 500 }), counts(100, 100), []); // $500, all used
    const c = licenseMetrics(license({ currency: 'EUR' }), counts(100, 0), []);
    expect(districtTotals([a, b, c])).toEqual([
      { currency: 'EUR', licenses: 1, total_cost: 1000, idle_cost: 1000, epi: null },
      { currency: 'USD', licenses: 2, total_cost: 1500, idle_cost: 500, epi: 1.5 },
    ]);
  });
});

describe('windows', () => {
  it('last n days, term to date, custom, and clear errors', () => {
    expect(parseWindow('7d', '2026-11-25', null)).toEqual({ from: '2026-11-19', to: '2026-11-25' });
    expect(parseWindow('30d', '2026-03-01', null)).toEqual({ from: '2026-01-31', to: '2026-03-01' });
    expect(parseWindow('term', '2026-11-25', '2026-07-01')).toEqual({ from: '2026-07-01', to: '2026-11-25' });
    expect(parseWindow('2026-09-01..2026-09-30', '2026-11-25', null)).toEqual({ from: '2026-09-01', to: '2026-09-30' });
    expect(() => parseWindow('2026-09-30..2026-09-01', '2026-11-25', null)).toThrow(/--window/);
    expect(() => parseWindow('term', '2026-11-25', null)).toThrow(/no license term/);
    expect(() => parseWindow('7d', '2026-02-30', null)).toThrow(/--as-of/);
  });

  it('refusals are WindowErrors: the option, and the reason without it (the API names its parameter)', () => {
    const refusal = (spec: string, asOf = '2026-11-25') => {
      try {
        parseWindow(spec, asOf, null);
      } catch (err) {
        expect(err).toBeInstanceOf(WindowError);
        const e = err as WindowError;
        return [e.option, e.reason, e.message];
      }
      throw new Error(`${spec} was accepted`);
    };
    expect(refusal('2026-10-01..2026-09-01')).toEqual([
      'window',
      'the end 2026-09-01 is before the start 2026-10-01',
      '--window: the end 2026-09-01 is before the start 2026-10-01',
    ]);
    expect(refusal('2026-02-30..2026-03-01')[1]).toBe('2026-02-30 is not a calendar day');
    // A month 13 is refused too (new Date('2026-13-01…').toISOString() would throw a RangeError).
    expect(refusal('2026-09-01..2026-13-01')[1]).toBe('2026-13-01 is not a calendar day');
    expect(refusal('term')).toEqual([
      'window',
      'term: no license term contains the as-of date',
      '--window term: no license term contains the as-of date',
    ]);
    expect(refusal('7d', '2026-13-01')).toEqual([
      'as_of',
      'not a date YYYY-MM-DD: 2026-13-01',
      '--as-of: not a date YYYY-MM-DD: 2026-13-01',
    ]);
    expect(windowDays({ from: '2025-09-17', to: '2026-09-17' })).toBe(366);
    expect(windowDays({ from: '2026-09-17', to: '2026-09-17' })).toBe(1);
  });
});

describe('licenses in force', () => {
  const october = { from: '2026-10-01', to: '2026-10-30' };
  it('a license is in force when its term has a day in the window', () => {
    expect(inForce(license({ term_start: '2025-07-01', term_end: '2026-06-30' }), october)).toBe(false);
    expect(inForce(license({ term_start: '2027-07-01', term_end: '2028-06-30' }), october)).toBe(false);
    expect(inForce(license({ term_start: '2026-10-30', term_end: '2027-06-30' }), october)).toBe(true);
    expect(inForce(license({ term_start: '2025-10-01', term_end: '2026-10-01' }), october)).toBe(true);
  });

  it('days after a term that no license of the same app, scope and audience covers', () => {
    const l = (id: string, start: string, end: string, over: Partial<StoredLicense> = {}) =>
      license({ license_id: id, term_start: start, term_end: end, ...over });
    const left = uncoveredAfterTerm(october, [
      l('ended', '2025-07-01', '2026-06-30'),
      l('next', '2026-10-10', '2026-10-19'), // covers 10-10..10-19 of `ended`; ends itself before the window end
      l('teachers', '2025-07-01', '2026-06-30', { audience: 'teachers' }), // another audience: not covered
      l('school', '2025-07-01', '2026-06-30', { school_id: 's1' }), // another scope: not covered
      l('now', '2026-07-01', '2027-06-30', { app_id: 'kami' }),
      l('then', '2025-07-01', '2026-09-30', { app_id: 'kami' }), // all its window days are `now`'s
    ]);
    expect([...left]).toEqual([
      [
        'ended',
        [
          { from: '2026-10-01', to: '2026-10-09' },
          { from: '2026-10-20', to: '2026-10-30' },
        ],
      ],
      ['next', [{ from: '2026-10-20', to: '2026-10-30' }]],
      ['teachers', [october]],
      ['school', [october]],
    ]);
  });
});
