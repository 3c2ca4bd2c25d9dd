/** The upcoming renewals as text, soonest first (the demo's section after the license table). */
import Table from 'cli-table3';
import type { AlertRule, UpcomingRenewal } from './renewals';

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);

export function renderUpcomingRenewals(
  upcoming: UpcomingRenewal[],
  check: { today: string; window: { from: string; to: string }; rule: AlertRule },
  names: Map<string, string> = new Map(),
): string {
  const { today, window, rule } = check;
  const widest = rule.thresholds[rule.thresholds.length - 1];
  const head =
    `Upcoming renewals as of ${today} (within ${widest} days; alert at ${rule.thresholds.join('/')} days ` +
    `before renewal when the used share ${window.from} to ${window.to} is below ${pct(rule.usedShareBelow)}):`;
  if (upcoming.length === 0) return `${head} none`;
  const t = new Table({
    head: ['license', 'app', 'renewal', 'days left', 'utilization', 'used share', 'alert'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  const soonestFirst = [...upcoming].sort(
    (a, b) =>
      a.days_to_renewal - b.days_to_renewal || a.metrics.license.license_id.localeCompare(b.metrics.license.license_id),
  );
  t.push(
    ...soonestFirst.map((u) => [
      u.metrics.license.license_id,
      names.get(u.metrics.license.app_id) ?? u.metrics.license.app_id,
      u.renewal_date,
      u.days_to_renewal,
      pct(u.metrics.utilization),
      pct(u.metrics.used_share),
      u.alert ? `${u.threshold_days}-day alert` : '—',
    ]),
  );
  return `${head}\n${t.toString()}`;
}
