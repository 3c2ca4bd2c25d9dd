/**
 * The plain-text report's school section: one row per license that reaches two or more schools, with
 * its lowest, median and highest school reach (not one row per school: a large district has
 * thousands). Expectations written by hand from the rows below.
 */
import { renderLicenseTable, type LicenseReport } from '../src';

const school = (license_id: string, school_id: string, eligible: number, active: number) => ({
  license_id,
  app_id: license_id.replace('lic-', ''),
  school_id,
  eligible,
  active,
  reach: eligible > 0 ? active / eligible : null,
});

const report: LicenseReport = {
  window: { districtId: 'd1', from: '2026-09-01', to: '2026-09-30' },
  licenses: [],
  schools: [
    school('lic-ixl', 's1', 10, 5), // 50 %
    school('lic-ixl', 's2', 20, 2), // 10 %
    school('lic-ixl', 's3', 4, 4), // 100 %
    school('lic-ixl', 's4', 0, 0), // no reach: left out
    school('lic-kahoot', 's1', 8, 2), // 25 %
    school('lic-kahoot', 's2', 8, 6), // 75 %
    school('lic-one', 's1', 5, 5), // one school: no row
  ],
  district: [],
  trend: [],
  unlicensed: [],
  never_used: [],
  expired_but_used: [],
  not_in_force: [],
  overlapping: [],
  unapproved: [],
};

test('one row per license over two or more schools: lowest, median and highest reach', () => {
  const lines = renderLicenseTable(report).split('\n');
  const cells = (line: string) =>
    line
      .split('│')
      .map((c) => c.trim())
      .filter((c) => c !== '');
  const row = (app: string) => lines.map(cells).find((c) => c[0] === app);
  expect(lines.some((l) => /lowest reach/.test(l))).toBe(true);
  expect(row('ixl')).toEqual(['ixl', '3', '10.0% s2', '50.0%', '100.0% s3']);
  expect(row('kahoot')).toEqual(['kahoot', '2', '25.0% s1', '50.0%', '75.0% s2']);
  expect(row('one')).toBeUndefined();
});
