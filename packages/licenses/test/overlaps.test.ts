import { licenseOverlaps } from '../src/overlaps';

const W = { from: '2026-06-01', to: '2026-09-30' };

const license = (
  id: string,
  over: Partial<Parameters<typeof licenseOverlaps>[0][number]> = {},
): Parameters<typeof licenseOverlaps>[0][number] => ({
  license_id: id,
  app_id: 'ixl',
  school_id: '',
  audience: 'students',
  grades: [],
  term_start: '2025-07-01',
  term_end: '2027-06-30',
  seats: 100,
  unlimited_seats: 0,
  ...over,
});

describe('licenseOverlaps', () => {
  it("two vendors' district seats of one app: one group, seats added, the window's days", () => {
    expect(licenseOverlaps([license('B'), license('A')], W)).toEqual([
      { app_id: 'ixl', license_ids: ['A', 'B'], seats: 200, from: '2026-06-01', to: '2026-09-30' },
    ]);
  });

  it("last year's contract and this year's: only the days both are in force", () => {
    const old = license('2025', { term_start: '2025-07-01', term_end: '2026-07-15' });
    const now = license('2026', { term_start: '2026-07-01', term_end: '2027-06-30' });
    expect(licenseOverlaps([old, now], W)).toEqual([
      { app_id: 'ixl', license_ids: ['2025', '2026'], seats: 200, from: '2026-07-01', to: '2026-07-15' },
    ]);
    // Back to back (one ends the day before the other starts): no common day.
    expect(licenseOverlaps([{ ...old, term_end: '2026-06-30' }, now], W)).toEqual([]);
  });

  it('a district license beside a school one overlaps; two schools, two audiences, two grade bands do not', () => {
    const district = license('D');
    const school = license('S1', { school_id: 'sch-1', seats: 30 });
    expect(licenseOverlaps([district, school], W).map((o) => [o.license_ids, o.seats])).toEqual([[['D', 'S1'], 130]]);
    expect(licenseOverlaps([school, license('S2', { school_id: 'sch-2' })], W)).toEqual([]);
    expect(licenseOverlaps([district, license('T', { audience: 'teachers' })], W)).toEqual([]);
    expect(licenseOverlaps([district, license('ALL', { audience: 'all' })], W)).toHaveLength(1);
    const k2 = license('K2', { grades: ['KG', '01', '02'] });
    expect(licenseOverlaps([k2, license('G35', { grades: ['03', '04', '05'] })], W)).toEqual([]);
    expect(licenseOverlaps([k2, license('G23', { grades: ['02', '03'] })], W)).toHaveLength(1);
    expect(licenseOverlaps([district, license('other', { app_id: 'kami' })], W)).toEqual([]);
  });

  it('a chain of overlaps is one group; unlimited seats make the total unlimited', () => {
    const a = license('a', { school_id: 'sch-1' });
    const b = license('b'); // district-wide: meets both schools
    const c = license('c', { school_id: 'sch-2', unlimited_seats: 1, seats: 0 });
    expect(licenseOverlaps([a, b, c], W)).toEqual([
      { app_id: 'ixl', license_ids: ['a', 'b', 'c'], seats: null, from: '2026-06-01', to: '2026-09-30' },
    ]);
  });

  it('a license alone, or none: nothing', () => {
    expect(licenseOverlaps([license('A')], W)).toEqual([]);
    expect(licenseOverlaps([], W)).toEqual([]);
  });
});
