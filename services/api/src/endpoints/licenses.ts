import { z } from 'zod';
import { storedRenewalAlerts } from '@edusage/jobs';
import { licenseRecord, licenseTableFor, type LicenseMetrics } from '@edusage/licenses';
import { defineEndpoint } from '../endpoint';
import { FIRST_DAY, LAST_DAY, day, format, licenseWindow } from '../params';
import { defined } from './scope';

const nullableNumber = z.number().nullable();

const licenseRow = z.object({
  license_id: z.string(),
  app_id: z.string(),
  vendor: z.string(),
  school_id: z.string().describe("'' = district-wide"),
  currency: z.string(),
  term_start: z.string(),
  term_end: z.string(),
  seats: z.number().int().nullable().describe('null = unlimited'),
  eligible: z.number().int(),
  active: z.number().int(),
  engaged_hours: z.number(),
  utilization: nullableNumber,
  reach: nullableNumber,
  used_share: z.number(),
  unused_seats: z.number().int().nullable(),
  total_cost: z.number(),
  idle_cost: z.number(),
  cost_per_active_user: nullableNumber,
  cost_per_engaged_hour: nullableNumber,
  epi: nullableNumber.describe('EdTech Price Index'),
  flags: z.array(z.string()),
});
type LicenseRow = z.infer<typeof licenseRow>;

function toRow(m: LicenseMetrics): LicenseRow {
  const l = m.license;
  return {
    license_id: l.license_id,
    app_id: l.app_id,
    vendor: l.vendor,
    school_id: l.school_id,
    currency: l.currency,
    term_start: l.term_start,
    term_end: l.term_end,
    seats: m.seats,
    eligible: m.eligible,
    active: m.active,
    engaged_hours: m.engaged_hours,
    utilization: m.utilization,
    reach: m.reach,
    used_share: m.used_share,
    unused_seats: m.unused_seats,
    total_cost: m.total_cost,
    idle_cost: m.idle_cost,
    cost_per_active_user: m.cost_per_active_user,
    cost_per_engaged_hour: m.cost_per_engaged_hour,
    epi: m.epi,
    flags: m.flags,
  };
}

/** A custom window's days must be inside the API's date bounds too. */
const windowInBounds = (w: string) => !w.includes('..') || w.split('..').every((d) => d >= FIRST_DAY && d <= LAST_DAY);

export const licenseEndpoints = [
  defineEndpoint({
    method: 'GET',
    path: '/v1/licenses',
    tag: 'licenses',
    summary:
      'License utilization: seats, active users, utilization, reach, idle cost, cost per active user, EPI, flags',
    description:
      "The figures of `licenses report` (packages/licenses) for the same window; CSV has the CLI's `--format csv` columns.",
    roles: ['admin', 'director'],
    query: z.strictObject({
      window: licenseWindow
        .refine(windowInBounds, `days must be between ${FIRST_DAY} and ${LAST_DAY}`)
        .default('30d')
        .describe('7d | 30d | 90d | <n>d | term | YYYY-MM-DD..YYYY-MM-DD (as the CLI)'),
      as_of: day.optional().describe('last day of the window (default: today, UTC)'),
      format,
    }),
    response: licenseRow,
    list: true,
    async handle({ principal, query, deps }) {
      const asOf = query.as_of ?? deps.now().toISOString().slice(0, 10);
      const report = await licenseTableFor(deps.ch, principal.district_id, query.window, asOf);
      const w = report.window;
      return {
        kind: 'list',
        meta: { district_id: w.districtId, from: w.from, to: w.to },
        rows: report.licenses.map(toRow),
        csv: report.licenses.map(licenseRecord),
      };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/licenses/alerts',
    tag: 'licenses',
    summary: 'Renewal alerts stored by the jobs service (one per license × threshold × renewal date)',
    roles: ['admin', 'director'],
    query: z.strictObject({
      renewing_from: day.optional().describe('only alerts of renewals on or after this day'),
      format,
    }),
    response: z.object({
      alert_id: z.string(),
      license_id: z.string(),
      app_id: z.string(),
      renewal_date: z.string(),
      threshold_days: z.number().int(),
      days_to_renewal: z.number().int(),
      detected_on: z.string(),
      window_from: z.string(),
      window_to: z.string(),
      used_share: z.number(),
      utilization: nullableNumber,
      seats: z.number().int(),
      unlimited_seats: z.number().int(),
      active: z.number().int(),
      total_cost: z.number(),
      currency: z.string(),
    }),
    list: true,
    async handle({ principal, query, deps }) {
      const alerts = await storedRenewalAlerts(
        deps.ch,
        principal.district_id,
        defined({ renewingFrom: query.renewing_from }),
      );
      const rows = alerts.map(({ district_id: _d, created_ms: _c, ...rest }) => rest);
      return { kind: 'list', meta: { district_id: principal.district_id }, rows };
    },
  }),
];
