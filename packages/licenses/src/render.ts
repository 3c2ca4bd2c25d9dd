import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import type { LicenseMetrics } from './metrics';
import type { LicenseReport } from './report';

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const money = (v: number | null, currency: string) =>
  v === null ? 'n/a' : `${currency === 'USD' ? '$' : `${currency} `}${v.toFixed(2)}`;
const num = (v: number | null, digits = 2) => (v === null ? 'n/a' : v.toFixed(digits));
const plain = { head: [] as string[], border: [] as string[] };
const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: plain, chars });
  t.push(...rows);
  return t.toString();
}

/** The columns of the license CSV (`licenses report --format csv`, the API's CSV): a header even with no licenses. */
export const LICENSE_CSV_COLUMNS = [
  'license_id',
  'app_id',
  'scope',
  'seats',
  'eligible',
  'active',
  'utilization',
  'reach',
  'unused_seats',
  'total_cost',
  'idle_cost',
  'cost_per_active_user',
  'cost_per_engaged_hour',
  'epi',
  'currency',
  'term_end',
  'flags',
] as const;

export type LicenseCsvRecord = Record<(typeof LICENSE_CSV_COLUMNS)[number], string | number>;

/** One flat record per license: the CSV columns and what the table shows. */
export function licenseRecord(m: LicenseMetrics): LicenseCsvRecord {
  const c = m.license.currency;
  return {
    license_id: m.license.license_id,
    app_id: m.license.app_id,
    scope: m.license.school_id || 'district',
    seats: m.seats === null ? 'unlimited' : m.seats,
    eligible: m.eligible,
    active: m.active,
    utilization: m.utilization === null ? '' : m.utilization.toFixed(4),
    reach: m.reach === null ? '' : m.reach.toFixed(4),
    unused_seats: m.unused_seats ?? '',
    total_cost: m.total_cost.toFixed(2),
    idle_cost: m.idle_cost.toFixed(2),
    cost_per_active_user: m.cost_per_active_user === null ? '' : m.cost_per_active_user.toFixed(2),
    cost_per_engaged_hour: m.cost_per_engaged_hour === null ? '' : m.cost_per_engaged_hour.toFixed(2),
    epi: m.epi === null ? '' : m.epi.toFixed(2),
    currency: c,
    term_end: m.license.term_end,
    flags: m.flags.join(' '),
  };
}

interface SchoolSpread {
  license_id: string;
  app_id: string;
  schools: number;
  lowest: { school_id: string; reach: number };
  median: number;
  highest: { school_id: string; reach: number };
}

/** Per license with a reach at two or more schools: the lowest, median and highest school reach. */
function schoolSpreads(rows: LicenseReport['schools']): SchoolSpread[] {
  const byLicense = new Map<string, { license_id: string; app_id: string; school_id: string; reach: number }[]>();
  for (const s of rows) {
    if (s.reach === null) continue;
    const list = byLicense.get(s.license_id) ?? [];
    list.push({ license_id: s.license_id, app_id: s.app_id, school_id: s.school_id, reach: s.reach });
    byLicense.set(s.license_id, list);
  }
  return [...byLicense.values()]
    .filter((list) => list.length >= 2)
    .map((list) => {
      const sorted = [...list].sort((a, b) => a.reach - b.reach || (a.school_id < b.school_id ? -1 : 1));
      const mid = Math.floor(sorted.length / 2);
      const median = sorted.length % 2 === 1 ? sorted[mid]!.reach : (sorted[mid - 1]!.reach + sorted[mid]!.reach) / 2;
      return {
        license_id: sorted[0]!.license_id,
        app_id: sorted[0]!.app_id,
        schools: sorted.length,
        lowest: sorted[0]!,
        median,
        highest: sorted[sorted.length - 1]!,
      };
    });
}

/** Plain-text report: the license table, district totals, and the lists. `names` maps ids to display names. */
export function renderLicenseTable(r: LicenseReport, names: Map<string, string> = new Map()): string {
  const name = (id: string) => names.get(id) ?? id;
  // A license is shown by its app's name; an app with two licenses (students and teachers, two terms)
  // shows each with its license id, or the rows would look alike with different numbers.
  const licensesOfApp = new Map<string, number>();
  for (const m of r.licenses) licensesOfApp.set(m.license.app_id, (licensesOfApp.get(m.license.app_id) ?? 0) + 1);
  const label = (appId: string, licenseId: string) =>
    (licensesOfApp.get(appId) ?? 0) > 1 ? `${name(appId)} (${licenseId})` : name(appId);
  const out: string[] = [];
  out.push(`District ${r.window.districtId} — licenses ${r.window.from} to ${r.window.to} (district-local days)`);
  out.push(
    table(
      ['license', 'scope', 'seats', 'active', 'utilization', 'reach', 'idle', 'per active user', 'EPI', 'flags'],
      r.licenses.map((m) => [
        label(m.license.app_id, m.license.license_id),
        m.license.school_id ? name(m.license.school_id) : 'district',
        m.seats ?? 'unlimited',
        m.active,
        pct(m.utilization),
        pct(m.reach),
        money(m.idle_cost, m.license.currency),
        money(m.cost_per_active_user, m.license.currency),
        num(m.epi),
        m.flags.join(', '),
      ]),
    ),
  );
  // School level, for licenses that span several schools: how evenly they reach them, one row per
  // license (the uneven_across_schools flag tests the same spread, among the schools with at least
  // minEligiblePerSchool eligible people). The per-school rows are in the JSON
  // (`schools`) and the API's /v1/licenses/schools: a district of 50 schools has ~1,500 of them,
  // more than a terminal shows (and 0.45 s of cli-table3 rendering).
  const spreads = schoolSpreads(r.schools);
  if (spreads.length > 0) {
    out.push(
      table(
        ['license', 'schools', 'lowest reach', 'median reach', 'highest reach'],
        spreads.map((s) => [
          label(s.app_id, s.license_id),
          s.schools,
          `${pct(s.lowest.reach)} ${name(s.lowest.school_id)}`,
          pct(s.median),
          `${pct(s.highest.reach)} ${name(s.highest.school_id)}`,
        ]),
      ),
    );
  }
  const weeks = new Map<string, string[]>();
  for (const t of r.trend) weeks.set(t.license_id, [...(weeks.get(t.license_id) ?? []), `${t.week} ${t.active}`]);
  if (weeks.size > 0) out.push('Weekly active users (week starting):');
  for (const [id, list] of weeks) out.push(`  ${id}: ${list.join(', ')}`);
  for (const d of r.district) {
    out.push(
      `All ${d.licenses} licenses (${d.currency}): cost ${money(d.total_cost, d.currency)}, idle ${money(d.idle_cost, d.currency)}, EPI ${num(d.epi)}`,
    );
  }
  const list = (title: string, lines: string[]) => {
    out.push(`${title}:${lines.length === 0 ? ' none' : ''}`);
    for (const l of lines) out.push(`  ${l}`);
  };
  const schools = (ids: string[]) => (ids.length === 0 ? 'no school' : ids.map(name).join(', '));
  list(
    'Apps in use without a license',
    r.unlicensed.map((u) => `${name(u.app_id)}: ${u.active} active (${schools(u.schools)})`),
  );
  list(
    'Licenses never used this term',
    r.never_used.map((id) => id),
  );
  list(
    'Licenses expired but still used',
    r.expired_but_used.map(
      (e) => `${e.license_id} (ended ${e.term_end}): ${e.active} active after (${schools(e.schools)})`,
    ),
  );
  list(
    'Licenses of one app covering the same people (each counts all their users: seats add up, users do not)',
    r.overlapping.map(
      (o) =>
        `${name(o.app_id)}: ${o.license_ids.join(', ')} (${o.from} to ${o.to}), seats together ${o.seats ?? 'unlimited'}`,
    ),
  );
  list(
    'Licenses not in force in this window (no figures, not in the totals)',
    r.not_in_force.map(
      (l) =>
        `${l.license_id} (${name(l.app_id)}, ${l.term_start} to ${l.term_end}): ${l.reason === 'ended' ? 'ended' : 'not started'}`,
    ),
  );
  list(
    'Apps in use not approved or with an expired DPA',
    r.unapproved.map(
      (u) =>
        `${name(u.app_id)}: ${u.reason === 'dpa_expired' ? `DPA expired ${u.dpa_expires_on}` : u.status.replace('_', ' ')}, ${u.active} active (${schools(u.schools)})`,
    ),
  );
  return out.join('\n');
}

export function renderLicenseCsv(r: LicenseReport): string {
  return stringify(r.licenses.map(licenseRecord), { header: true, columns: [...LICENSE_CSV_COLUMNS] });
}

export function renderLicenseJson(r: LicenseReport): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
