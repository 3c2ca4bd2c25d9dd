/**
 * The plain-text license table: two licenses of one app are told apart by their ids, and the licenses
 * not in force in the window are listed. Expectations written by hand.
 */
import { renderLicenseTable, type LicenseMetrics, type LicenseReport } from '../src';

const metrics = (license_id: string, app_id: string, audience: string): LicenseMetrics =>
  ({
    license: { license_id, app_id, school_id: '', audience, currency: 'USD' },
    seats: 10,
    active: 4,
    utilization: 0.4,
    reach: 0.5,
    idle_cost: 60,
    cost_per_active_user: 25,
    epi: 2.5,
    flags: [],
  }) as unknown as LicenseMetrics;

const report: LicenseReport = {
  window: { districtId: 'd1', from: '2026-09-01', to: '2026-09-30' },
  licenses: [
    metrics('ixl-students', 'ixl', 'students'),
    metrics('ixl-teachers', 'ixl', 'teachers'),
    metrics('k1', 'kahoot', 'students'),
  ],
  schools: [],
  district: [],
  trend: [],
  unlicensed: [],
  never_used: [],
  expired_but_used: [],
  not_in_force: [
    {
      license_id: 'ixl-2025',
      app_id: 'ixl',
      school_id: '',
      term_start: '2025-07-01',
      term_end: '2026-06-30',
      reason: 'ended',
    },
  ],
  overlapping: [],
  unapproved: [],
};

test('an app with two licenses shows each with its id; an app with one by its name', () => {
  const text = renderLicenseTable(report, new Map([['ixl', 'IXL']]));
  const firstCells = text
    .split('\n')
    .map(
      (l) =>
        l
          .split('│')
          .map((c) => c.trim())
          .filter((c) => c !== '')[0],
    )
    .filter((c): c is string => c !== undefined);
  expect(firstCells).toEqual(expect.arrayContaining(['IXL (ixl-students)', 'IXL (ixl-teachers)', 'kahoot']));
  expect(text).toContain(
    'Licenses not in force in this window (no figures, not in the totals):\n  ixl-2025 (IXL, 2025-07-01 to 2026-06-30): ended',
  );
});
