import { z } from 'zod';
import { storedRenewalAlerts } from '@edusage/jobs';
import {
  buildLicenseReport,
  DEFAULT_THRESHOLDS,
  licenseMetricFields,
  licenseMetricsFor,
  licenseRecord,
  LICENSE_CSV_COLUMNS,
  licenseSchoolCounts,
  licensesAndWindow,
  inForce,
  WindowError,
  type LicenseMetrics,
  type LicenseReport,
  type StoredLicense,
  type Window,
} from '@edusage/licenses';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { defineEndpoint, type ObjectResult } from '../endpoint';
import { readFreshness, type ReportFreshness } from '../freshness';
import { MAX_PERIOD_DAYS, day, format, freshness, licenseWindow, licenseWindowSpanIssue, plainId } from '../params';
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
/** A row of /v1/licenses (the dashboard's license pages read these too). */
export type LicenseRow = z.infer<typeof licenseRow>;

function toRow(m: LicenseMetrics): LicenseRow {
  return {
    ...licenseMetricFields(m),
    term_start: m.license.term_start,
    term_end: m.license.term_end,
    seats: m.seats,
    cost_per_engaged_hour: m.cost_per_engaged_hour,
  };
}

/** The license window read under the answer's freshness (none: live, each query its own). */
const withRollups = (w: Window, fresh: ReportFreshness): Window =>
  fresh.rollups === undefined ? w : { ...w, rollups: fresh.rollups };

/** What a license answer covers, and how fresh it is (freshness.ts). */
const windowMeta = (w: Window, fresh: ReportFreshness) => ({
  district_id: w.districtId,
  from: w.from,
  to: w.to,
  ...fresh.meta(w),
});

const windowQuery = {
  window: licenseWindow
    .default('30d')
    .describe(
      `7d | 30d | 90d | <n>d | term | YYYY-MM-DD..YYYY-MM-DD (as the CLI), at most ${MAX_PERIOD_DAYS} days; term = from the earliest start of the licenses in force on as_of (400 when none is, or when that is more than ${MAX_PERIOD_DAYS} days)`,
    ),
  as_of: day.optional().describe("last day of the window (default: today in the district's zone, DISTRICT_TIMEZONES)"),
};

/**
 * The district's licenses and the window of `spec` ending on `asOf` (licensesAndWindow), bounded as the
 * other windows: a `term` window (known only once the licenses are read) longer than MAX_PERIOD_DAYS is
 * a WindowError too.
 */
async function licensesAndBoundedWindow(
  ch: ClickHouseClient,
  districtId: string,
  spec: string,
  asOf: string,
): Promise<{ licenses: StoredLicense[]; window: Window }> {
  const read = await licensesAndWindow(ch, districtId, spec, asOf);
  const issue = licenseWindowSpanIssue(read.window);
  if (issue !== null) throw new WindowError('window', issue);
  return read;
}

/**
 * A window refused once the licenses are read (WindowError: `term` with no license in force on the
 * as-of day, or longer than MAX_PERIOD_DAYS) as the 400 of a parameter zod refuses, naming it; anything
 * else is rethrown.
 */
function windowRefused(err: unknown): ObjectResult {
  if (!(err instanceof WindowError)) throw err;
  return {
    kind: 'object',
    status: 400,
    body: { error: 'invalid_request', issues: [{ field: `query.${err.option}`, message: err.reason }] },
  };
}
const isRefusal = (r: object): r is ObjectResult => 'kind' in r && r.kind === 'object';

const findingRow = z.object({
  finding: z.enum([
    'unlicensed',
    'never_used',
    'expired_but_used',
    'unapproved',
    'dpa_expired',
    'not_in_force',
    'overlapping',
  ]),
  app_id: z.string(),
  license_id: z.string().describe("'' for app findings"),
  active: z.number().int().nullable().describe('distinct active people in the window (never_used: null)'),
  schools: z.array(z.string()).describe('schools of the use'),
  detail: z
    .string()
    .describe(
      'review status, DPA expiry, term end, (not_in_force) when the term ended or starts, or (overlapping) the other licenses, the common days and the seats together',
    ),
});
type FindingRow = z.infer<typeof findingRow>;

/** The report's lists, one row per finding (the lists under the CLI's table). */
function findings(r: LicenseReport): FindingRow[] {
  const appOf = new Map(r.licenses.map((m) => [m.license.license_id, m.license.app_id]));
  return [
    ...r.unlicensed.map((u) => ({ finding: 'unlicensed' as const, ...u, license_id: '', detail: '' })),
    ...r.never_used.map((id) => ({
      finding: 'never_used' as const,
      app_id: appOf.get(id) ?? '',
      license_id: id,
      active: null,
      schools: [],
      detail: '',
    })),
    ...r.expired_but_used.map((e) => ({
      finding: 'expired_but_used' as const,
      app_id: e.app_id,
      license_id: e.license_id,
      active: e.active,
      schools: e.schools,
      detail: `term ended ${e.term_end}`,
    })),
    // Licenses whose term has no day in the window: left out of /v1/licenses and its totals.
    ...r.not_in_force.map((n) => ({
      finding: 'not_in_force' as const,
      app_id: n.app_id,
      license_id: n.license_id,
      active: null,
      schools: [],
      detail: n.reason === 'ended' ? `term ended ${n.term_end}` : `term starts ${n.term_start}`,
    })),
    // One row per license of a group covering the same people: each counts all their users.
    ...r.overlapping.flatMap((o) =>
      o.license_ids.map((id) => ({
        finding: 'overlapping' as const,
        app_id: o.app_id,
        license_id: id,
        active: null,
        schools: [],
        detail: `with ${o.license_ids.filter((x) => x !== id).join(', ')} from ${o.from} to ${o.to}: seats together ${o.seats ?? 'unlimited'}, users counted by each`,
      })),
    ),
    ...r.unapproved.map((u) => ({
      finding: u.reason === 'dpa_expired' ? ('dpa_expired' as const) : ('unapproved' as const),
      app_id: u.app_id,
      license_id: '',
      active: u.active,
      schools: u.schools,
      detail: u.reason === 'dpa_expired' ? `DPA expired ${u.dpa_expires_on}` : u.status,
    })),
  ];
}

export const licenseEndpoints = [
  defineEndpoint({
    method: 'GET',
    path: '/v1/licenses',
    tag: 'licenses',
    summary:
      'License utilization: seats, active users, utilization, reach, idle cost, cost per active user, EPI, flags',
    description:
      "The figures of `licenses report` (packages/licenses) for the same window: the licenses in force in it (a license whose term has no day in the window is left out, see /v1/licenses/findings `not_in_force`); CSV has the CLI's `--format csv` columns.",
    roles: ['admin', 'director'],
    query: z.strictObject({ ...windowQuery, freshness, format }),
    response: licenseRow,
    list: true,
    async handle({ principal, query, deps }) {
      const asOf = query.as_of ?? deps.today(principal.district_id);
      // licenseTableFor's steps, the window checked between them.
      const [read, fresh] = await Promise.all([
        licensesAndBoundedWindow(deps.ch, principal.district_id, query.window, asOf).catch(windowRefused),
        readFreshness(deps, query.freshness),
      ]);
      if (isRefusal(read)) return read;
      const { licenses, window: w } = read;
      const { metrics } = await licenseMetricsFor(deps.ch, withRollups(w, fresh), licenses);
      return {
        kind: 'list',
        meta: windowMeta(w, fresh),
        rows: metrics.map(toRow),
        csv: { columns: LICENSE_CSV_COLUMNS, records: metrics.map(licenseRecord) },
      };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/licenses/schools',
    tag: 'licenses',
    summary: 'Per license and school: eligible people, active people, reach (active ÷ eligible)',
    description:
      "The per-school rows of `licenses report` for the same window: a district-wide license has a row per school of the roster, a school's license one row. Active people are distinct over the window (merged states); use with no school is left out.",
    roles: ['admin', 'director'],
    query: z.strictObject({
      ...windowQuery,
      license: plainId.optional().describe('only this license'),
      freshness,
      format,
    }),
    response: z.object({
      license_id: z.string(),
      app_id: z.string(),
      license_school_id: z.string().describe("the license's school ('' = district-wide)"),
      school_id: z.string(),
      eligible: z.number().int().describe("rostered people of the license's audience at the school"),
      active: z.number().int().describe('distinct people of the audience active with the app at the school'),
      reach: nullableNumber.describe('active ÷ eligible (no eligible people: null)'),
    }),
    list: true,
    async handle({ principal, query, deps }) {
      const asOf = query.as_of ?? deps.today(principal.district_id);
      const [read, fresh] = await Promise.all([
        licensesAndBoundedWindow(deps.ch, principal.district_id, query.window, asOf).catch(windowRefused),
        readFreshness(deps, query.freshness),
      ]);
      if (isRefusal(read)) return read;
      const { licenses, window: w } = read;
      // The licenses in force in the window, as the report's school rows.
      const byId = new Map(licenses.filter((l) => inForce(l, w)).map((l) => [l.license_id, l]));
      const counts = await licenseSchoolCounts(deps.ch, withRollups(w, fresh));
      const rows = counts
        .filter((c) => byId.has(c.license_id) && (query.license === undefined || c.license_id === query.license))
        .map((c) => ({
          license_id: c.license_id,
          app_id: byId.get(c.license_id)!.app_id,
          license_school_id: byId.get(c.license_id)!.school_id,
          school_id: c.school_id,
          eligible: c.eligible,
          active: c.active,
          reach: c.eligible > 0 ? c.active / c.eligible : null,
        }));
      return { kind: 'list', meta: windowMeta(w, fresh), rows };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/licenses/findings',
    tag: 'licenses',
    summary:
      'Apps used without a license or approval (or with an expired DPA), licenses never used, expired but used, not in force',
    description:
      'The lists of `licenses report` for the same window; `not_in_force`: a license whose term has no day in the window (expired, or not started), left out of /v1/licenses.',
    roles: ['admin', 'director'],
    query: z.strictObject({ ...windowQuery, freshness, format }),
    response: findingRow,
    list: true,
    async handle({ principal, query, deps }) {
      const asOf = query.as_of ?? deps.today(principal.district_id);
      // As the CLI: the window of the spec, then the report, from one read of the licenses.
      const [read, fresh] = await Promise.all([
        licensesAndBoundedWindow(deps.ch, principal.district_id, query.window, asOf).catch(windowRefused),
        readFreshness(deps, query.freshness),
      ]);
      if (isRefusal(read)) return read;
      const { licenses, window: w } = read;
      const report = await buildLicenseReport(deps.ch, withRollups(w, fresh), DEFAULT_THRESHOLDS, licenses);
      return { kind: 'list', meta: windowMeta(w, fresh), rows: findings(report) };
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
