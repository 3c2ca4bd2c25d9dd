import { chart } from '../charts';
import { rowsOf } from '../data';
import { figureSection } from '../figure';
import { fmtMoney, html, qs } from '../html';
import { BASE } from '../layout';
import { checkLicenseParam, licenseBySchool, licenseSchoolsOver } from '../license-schools';
import { approvalStatus, licensesOver, type LicenseRow } from '../licenses-data';
import type { PageDefinition } from '../page';
import { pagePeriod, type Period } from '../period';
import { namedIdColumns, type Labels } from '../labels';
import { table } from '../table';
import { sum, type UsageRow } from '../usage';

interface AlertRow {
  license_id: string;
  app_id: string;
  renewal_date: string;
  threshold_days: number;
  days_to_renewal: number;
  detected_on: string;
  utilization: number | null;
  active: number;
  total_cost: number;
  currency: string;
}

const pct = (share: number | null) => (share === null ? null : Math.round(share * 1000) / 10);
const money = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);
/** A license in a chart: its id and where it applies (the school's name, or the district). */
const licenseLabel = (labels: Labels) => (l: LicenseRow) =>
  `${l.license_id} (${l.school_id ? labels.school(l.school_id) : 'district'})`;

export const licensesPage: PageDefinition = {
  slug: 'licenses',
  nav: 'Licenses',
  roles: ['admin', 'director'],
  async build({ deps, principal, query, today, labels }) {
    const period = pagePeriod(query, today);
    checkLicenseParam(query.license);
    const [licenses, schools, alerts, usage, status] = await Promise.all([
      licensesOver(deps, principal, period),
      licenseSchoolsOver(deps, principal, period),
      // All stored alerts, upcoming ones kept here: `renewing_from` fails on ClickHouse 18.16 (reported).
      rowsOf<AlertRow>(deps, principal, '/v1/licenses/alerts', {}),
      rowsOf<UsageRow>(deps, principal, '/v1/usage/district', period),
      approvalStatus(deps, principal, period.to),
    ]);
    const rows = licenses.rows;
    const bySchool = licenseBySchool(principal.district_id, period, rows, schools.rows, query.license, labels);
    return {
      title: 'Licenses',
      period,
      blocks: [
        licenseKpis(rows),
        ...figureSection({
          charts: [utilizationChart(rows, labels)],
          table: licenseTable(rows, period, labels),
        }),
        html`<p class="note">
          EdTech Price Index: what each dollar actually used cost (total cost ÷ cost of the used share; 1.00 = every
          seat used, — = nothing used).
        </p>`,
        ...bySchool,
        alertsTable(alerts.rows, today, labels),
        unapprovedTable(
          usage.rows.filter((a) => !status(a.app_id).approved),
          status,
          labels,
        ),
      ],
    };
  },
};

/** Idle dollars per currency, unused seats and the number of licenses. */
function licenseKpis(rows: LicenseRow[]) {
  const currencies = [...new Set(rows.map((l) => l.currency))];
  return html`<ul class="kpis">
    ${currencies.map(
      (c) =>
        html`<li>
          <span class="k">Idle dollars (${c})</span
          ><span class="v">${fmtMoney(sum(rows.filter((l) => l.currency === c).map((l) => l.idle_cost)), c)}</span>
        </li>`,
    )}
    <li><span class="k">Unused seats</span><span class="v">${sum(rows.map((l) => l.unused_seats ?? 0))}</span></li>
    <li><span class="k">Licenses</span><span class="v">${rows.length}</span></li>
  </ul>`;
}

/** Seat utilization per license and school, as bars. */
function utilizationChart(rows: LicenseRow[], labels: Labels) {
  return chart({
    title: 'Seat utilization per license and school (active users ÷ seats)',
    kind: 'hbar',
    valueName: 'utilization',
    percent: true,
    categories: rows.filter((l) => l.utilization !== null).map(licenseLabel(labels)),
    series: [{ name: 'utilization', values: rows.filter((l) => l.utilization !== null).map((l) => l.utilization) }],
  });
}

/** Every license in force in the period with its seats, use, idle cost and flags. */
function licenseTable(rows: LicenseRow[], period: Period, labels: Labels) {
  return table({
    id: 'licenses',
    caption: `Licenses, ${period.from} to ${period.to}`,
    empty: `No license is in force from ${period.from} to ${period.to}: none is stored for this district (import one with \`licenses import\`), or every term ended before or starts after this period.`,
    rows,
    columns: [
      {
        key: 'license_id',
        label: 'License',
        value: (l) => l.license_id,
        show: (l) =>
          html`<a href="${BASE}/licenses${qs({ ...period, license: l.license_id })}#by-school">${l.license_id}</a>`,
      },
      ...namedIdColumns<LicenseRow>({ key: 'app_id', label: 'App', id: (l) => l.app_id, name: labels.app }),
      ...namedIdColumns<LicenseRow>({
        key: 'school_id',
        label: 'School',
        id: (l) => l.school_id,
        name: (id) => (id === '' ? 'district' : labels.school(id)),
      }),
      {
        key: 'seats',
        label: 'Seats',
        numeric: true,
        value: (l) => l.seats,
        show: (l) => (l.seats === null ? 'unlimited' : String(l.seats)),
      },
      { key: 'active', label: 'Active', numeric: true, value: (l) => l.active },
      {
        key: 'utilization_pct',
        label: 'Utilization (%)',
        numeric: true,
        decimals: 1,
        value: (l) => pct(l.utilization),
      },
      { key: 'unused_seats', label: 'Unused seats', numeric: true, value: (l) => l.unused_seats },
      {
        key: 'idle_cost',
        label: 'Idle cost',
        numeric: true,
        value: (l) => money(l.idle_cost),
        show: (l) => fmtMoney(l.idle_cost, l.currency),
      },
      {
        key: 'epi',
        label: 'EdTech Price Index',
        numeric: true,
        value: (l) => money(l.epi),
        show: (l) => (l.epi === null ? '—' : (money(l.epi) ?? 0).toFixed(2)),
      },
      { key: 'term_end', label: 'Term ends', nowrap: true, value: (l) => l.term_end },
      {
        key: 'flags',
        label: 'Flags',
        value: (l) => l.flags.join(' '),
        // One flag a line: the column is as wide as the longest flag, not as all of them.
        show: (l) =>
          l.flags.length === 0
            ? ''
            : html`<ul class="flags">
                ${l.flags.map((f) => html`<li>${f.replace(/_/g, ' ')}</li>`)}
              </ul>`,
      },
    ],
  });
}

/** The stored renewal alerts of renewals on or after today. */
function alertsTable(alerts: AlertRow[], today: string, labels: Labels) {
  return table({
    id: 'alerts',
    caption: `Upcoming renewals with alerts (renewing on or after ${today})`,
    empty: 'No renewal alert is stored (the jobs service writes them as renewals approach).',
    rows: alerts.filter((a) => a.renewal_date >= today),
    columns: [
      { key: 'renewal_date', label: 'Renews', nowrap: true, value: (a) => a.renewal_date },
      { key: 'license_id', label: 'License', value: (a) => a.license_id },
      ...namedIdColumns<AlertRow>({ key: 'app_id', label: 'App', id: (a) => a.app_id, name: labels.app }),
      { key: 'threshold_days', label: 'Alert (days before)', numeric: true, value: (a) => a.threshold_days },
      {
        key: 'utilization_pct',
        label: 'Utilization (%)',
        numeric: true,
        decimals: 1,
        value: (a) => pct(a.utilization),
      },
      { key: 'active', label: 'Active', numeric: true, value: (a) => a.active },
      {
        key: 'total_cost',
        label: 'Cost',
        numeric: true,
        value: (a) => money(a.total_cost),
        show: (a) => fmtMoney(a.total_cost, a.currency),
      },
    ],
  });
}

/** Apps in use whose review status is not approved. */
function unapprovedTable(unapproved: UsageRow[], status: Awaited<ReturnType<typeof approvalStatus>>, labels: Labels) {
  return table({
    id: 'unapproved',
    caption: 'Apps in use that are not approved',
    empty: 'Every app in use is approved.',
    rows: unapproved,
    columns: [
      ...namedIdColumns<UsageRow>({ key: 'app_id', label: 'App', id: (a) => a.app_id, name: labels.app }),
      { key: 'status', label: 'Review status', value: (a) => status(a.app_id).label },
      { key: 'active_users', label: 'Active users', numeric: true, value: (a) => a.active_users },
    ],
  });
}
