/**
 * Renewal alerts, the one rule the jobs service (stored alerts, webhook) and the demo (upcoming
 * renewals) share: a license renewing in d days (its renewal date, else the end of its term; 0 ≤ d)
 * is alerted on with the tightest threshold ≥ d when its used share over the `windowDays` days
 * before today is below `usedShareBelow`. So it is alerted at 90, again at 60 and at 30 days, never
 * twice for one threshold. One alert per license × threshold × renewal date, with an id derived from
 * those, so re-runs, retries and concurrent processes agree on it.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@edusage/clickhouse';
import type { LicenseMetrics } from './metrics';
import { buildLicenseReport, type LicenseReport } from './report';
import { addDays } from './window';

export interface AlertRule {
  /** Day thresholds, ascending (30, 60, 90). */
  thresholds: readonly number[];
  /** Alert when the used share is below this. */
  usedShareBelow: number;
}

/** The defaults of the jobs service (JOBS_RENEWAL_ALERT_DAYS, JOBS_RENEWAL_UTILIZATION_BELOW, JOBS_RENEWAL_WINDOW_DAYS). */
export const DEFAULT_RENEWAL_RULE = { thresholds: [30, 60, 90], usedShareBelow: 0.5, windowDays: 30 } as const;

export interface RenewalAlert {
  alert_id: string;
  district_id: string;
  license_id: string;
  app_id: string;
  renewal_date: string;
  threshold_days: number;
  days_to_renewal: number;
  detected_on: string;
  window_from: string;
  window_to: string;
  used_share: number;
  utilization: number | null;
  seats: number;
  unlimited_seats: number;
  active: number;
  total_cost: number;
  currency: string;
  created_ms: number;
}

/** A license renewing within the widest threshold, and the alert threshold due today (null: used enough). */
export interface UpcomingRenewal {
  metrics: LicenseMetrics;
  renewal_date: string;
  days_to_renewal: number;
  /** The tightest threshold ≥ the days to renewal. */
  threshold_days: number;
  /** True when the used share is below the rule's limit: the alert of `threshold_days` is due. */
  alert: boolean;
}

export function alertId(districtId: string, licenseId: string, thresholdDays: number, renewalDate: string): string {
  return createHash('sha256')
    .update(JSON.stringify([districtId, licenseId, thresholdDays, renewalDate]))
    .digest('hex')
    .slice(0, 32);
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

/** The renewal date of a license: its renewalDate, else the end of its term. */
export const renewalDateOf = (m: LicenseMetrics) => m.license.renewal_date || m.license.term_end;

/** The licenses renewing in 0 … widest threshold days from `today` (in the order of `metrics`). */
export function upcomingRenewals(metrics: LicenseMetrics[], today: string, rule: AlertRule): UpcomingRenewal[] {
  return metrics.flatMap((m) => {
    const renewal = renewalDateOf(m);
    const days = daysBetween(today, renewal);
    const threshold = rule.thresholds.find((t) => days >= 0 && days <= t);
    if (threshold === undefined) return [];
    return [
      {
        metrics: m,
        renewal_date: renewal,
        days_to_renewal: days,
        threshold_days: threshold,
        alert: m.used_share < rule.usedShareBelow,
      },
    ];
  });
}

/** The alerts due on `today` for these metrics (the upcoming renewals whose alert is due). */
export function dueAlerts(
  metrics: LicenseMetrics[],
  districtId: string,
  today: string,
  window: { from: string; to: string },
  rule: AlertRule,
  now: number,
): RenewalAlert[] {
  return upcomingRenewals(metrics, today, rule)
    .filter((u) => u.alert)
    .map(({ metrics: m, renewal_date, days_to_renewal, threshold_days }) => ({
      alert_id: alertId(districtId, m.license.license_id, threshold_days, renewal_date),
      district_id: districtId,
      license_id: m.license.license_id,
      app_id: m.license.app_id,
      renewal_date,
      threshold_days,
      days_to_renewal,
      detected_on: today,
      window_from: window.from,
      window_to: window.to,
      used_share: m.used_share,
      utilization: m.utilization,
      seats: m.license.seats,
      unlimited_seats: m.license.unlimited_seats,
      active: m.active,
      total_cost: m.total_cost,
      currency: m.license.currency,
      created_ms: now,
    }));
}

/** The check of `today`: the report over the `windowDays` days before it, and the alerts due. */
export async function renewalCheck(
  ch: ClickHouseClient,
  districtId: string,
  today: string,
  windowDays: number,
  rule: AlertRule,
  now = Date.now(),
): Promise<{ window: { from: string; to: string }; report: LicenseReport; due: RenewalAlert[] }> {
  const window = { from: addDays(today, -windowDays), to: addDays(today, -1) };
  const report = await buildLicenseReport(ch, { districtId, ...window });
  return { window, report, due: dueAlerts(report.licenses, districtId, today, window, rule, now) };
}
