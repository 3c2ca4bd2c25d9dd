/**
 * The upcoming renewals the demo prints and the alerts the jobs service stores come from one rule
 * (renewals.ts): which licenses are listed, which alert is due, and the rendered table. Expectations
 * written by hand from the dates and used shares.
 */
import {
  DEFAULT_RENEWAL_RULE,
  dueAlerts,
  renderUpcomingRenewals,
  upcomingRenewals,
  type LicenseMetrics,
  type StoredLicense,
} from '../src';

const TODAY = '2026-11-20';
const WINDOW = { from: '2026-10-21', to: '2026-11-19' };

const metrics = (license_id: string, renewal_date: string, used_share: number, unlimited = false): LicenseMetrics =>
  ({
    license: {
      license_id,
      app_id: `app-${license_id}`,
      renewal_date,
      term_end: '2027-06-30',
      seats: unlimited ? 0 : 10,
      unlimited_seats: unlimited ? 1 : 0,
      currency: 'USD',
    } as StoredLicense,
    used_share,
    utilization: unlimited ? null : used_share,
    active: used_share * 10,
    total_cost: 100,
  }) as LicenseMetrics;

const licenses = [
  metrics('far', '2027-03-01', 0), // 101 days: beyond the widest threshold
  metrics('used', '2027-01-09', 0.8), // 50 days, used 80 %: listed, no alert
  metrics('low', '2026-12-10', 0.2), // 20 days, used 20 %: 30-day alert
  metrics('past', '2026-11-19', 0), // renewed yesterday: not upcoming
  metrics('open', '2027-02-18', 0.1, true), // 90 days, unlimited seats reaching 10 %: 90-day alert
  metrics('edge', '2027-01-19', 0.5), // 60 days, exactly at the limit: no alert
];

test('upcoming renewals: within the widest threshold, with the alert due', () => {
  const up = upcomingRenewals(licenses, TODAY, DEFAULT_RENEWAL_RULE);
  expect(up.map((u) => [u.metrics.license.license_id, u.days_to_renewal, u.threshold_days, u.alert])).toEqual([
    ['used', 50, 60, false],
    ['low', 20, 30, true],
    ['open', 90, 90, true],
    ['edge', 60, 60, false],
  ]);
  // The jobs' alerts are exactly the upcoming renewals with an alert.
  expect(dueAlerts(licenses, 'd1', TODAY, WINDOW, DEFAULT_RENEWAL_RULE, 0).map((a) => a.license_id)).toEqual([
    'low',
    'open',
  ]);
});

test('the rendered table (soonest first) names the rule, and each row its renewal, days left, utilization and alert', () => {
  const text = renderUpcomingRenewals(
    upcomingRenewals(licenses, TODAY, DEFAULT_RENEWAL_RULE),
    { today: TODAY, window: WINDOW, rule: DEFAULT_RENEWAL_RULE },
    new Map([['app-low', 'Low App']]),
  );
  const lines = text.split('\n');
  expect(lines[0]).toBe(
    'Upcoming renewals as of 2026-11-20 (within 90 days; alert at 30/60/90 days before renewal when the used share 2026-10-21 to 2026-11-19 is below 50.0%):',
  );
  const cells = lines
    .slice(1)
    .filter((l) => /^│/.test(l))
    .map((l) =>
      l
        .split('│')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
    );
  expect(cells).toEqual([
    ['license', 'app', 'renewal', 'days left', 'utilization', 'used share', 'alert'],
    ['low', 'Low App', '2026-12-10', '20', '20.0%', '20.0%', '30-day alert'],
    ['used', 'app-used', '2027-01-09', '50', '80.0%', '80.0%', '—'],
    ['edge', 'app-edge', '2027-01-19', '60', '50.0%', '50.0%', '—'],
    ['open', 'app-open', '2027-02-18', '90', 'n/a', '10.0%', '90-day alert'],
  ]);
  expect(renderUpcomingRenewals([], { today: TODAY, window: WINDOW, rule: DEFAULT_RENEWAL_RULE })).toMatch(/: none$/);
});
