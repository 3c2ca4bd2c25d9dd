import { chart } from './charts';
import { figureSection } from './figure';
import { PageError, rowsOf } from './data';
import type { ApiDeps } from '../endpoint';
import { plainId } from '../params';
import type { Principal } from '../tokens';
import { html, qs, type Html } from './html';
import { BASE } from './layout';
import type { LicenseRow } from './licenses-data';
import type { Period } from './period';
import { namedIdColumns, type Labels } from './labels';
import { table, type Table } from './table';

/** A row of /v1/licenses/schools. */
export interface LicenseSchoolRow {
  license_id: string;
  app_id: string;
  license_school_id: string;
  school_id: string;
  eligible: number;
  active: number;
  reach: number | null;
}

const pct = (share: number | null) => (share === null ? null : Math.round(share * 1000) / 10);

/** A malformed `license` parameter is refused before anything is read (the API's id rule). */
export function checkLicenseParam(asked: string | undefined): void {
  const valid = asked === undefined ? null : plainId.safeParse(asked);
  if (valid && !valid.success) throw new PageError(400, [`license: ${valid.error.issues[0]!.message}`]);
}

/** /v1/licenses/schools over exactly the page's period (every license: the page picks one). */
export const licenseSchoolsOver = (deps: ApiDeps, principal: Principal, p: Period) =>
  rowsOf<LicenseSchoolRow>(deps, principal, '/v1/licenses/schools', {
    window: `${p.from}..${p.to}`,
    as_of: p.to,
    freshness: p.freshness,
  });

/**
 * The Licenses page's per-school view of one license (`?license=`, default the first): active vs
 * eligible people at each school, a chart and its table, with links to the other licenses. An unknown
 * license is a 404 naming the parameter.
 */
export function licenseBySchool(
  districtId: string,
  period: Period,
  licenses: LicenseRow[],
  schoolRows: LicenseSchoolRow[],
  asked: string | undefined,
  labels: Labels,
): (Html | Table)[] {
  const chosen = asked ?? licenses[0]?.license_id;
  if (chosen === undefined) return [];
  const license = licenses.find((l) => l.license_id === chosen);
  if (!license) throw new PageError(404, [`license: no license "${chosen}" in district ${districtId}`]);
  const rows = schoolRows.filter((r) => r.license_id === chosen);
  const scope = license.school_id === '' ? 'district-wide' : labels.school(license.school_id);
  const app = labels.app(license.app_id);
  const link = (id: string) =>
    id === chosen
      ? html`<li>
          <a href="${BASE}/licenses${qs({ ...period, license: id })}#by-school" aria-current="true">${id}</a>
        </li>`
      : html`<li><a href="${BASE}/licenses${qs({ ...period, license: id })}#by-school">${id}</a></li>`;
  const figure = figureSection({
    heading: html`<h2 id="by-school">By school: ${chosen}</h2>
      <nav aria-label="License shown by school" class="choices">
        <ul>
          ${licenses.map((l) => link(l.license_id))}
        </ul>
      </nav>`,
    charts: [
      chart({
        title: `${chosen} (${app}, ${scope}): active vs eligible people per school, ${period.from} to ${period.to}`,
        kind: 'hbar',
        valueName: 'people',
        categories: rows.map((r) => labels.school(r.school_id)),
        series: [
          { name: 'active', values: rows.map((r) => r.active) },
          { name: 'eligible', values: rows.map((r) => r.eligible) },
        ],
      }),
    ],
    table: table({
      id: 'license-schools',
      caption: `${chosen} per school: eligible and active people, reach`,
      empty: `No school of the roster is in the scope of ${chosen}, or it has no eligible or active people (import a roster with the license's audience).`,
      rows,
      columns: [
        ...namedIdColumns<LicenseSchoolRow>({
          key: 'school_id',
          label: 'School',
          id: (r) => r.school_id,
          name: labels.school,
        }),
        { key: 'eligible', label: 'Eligible', numeric: true, value: (r) => r.eligible },
        { key: 'active', label: 'Active', numeric: true, value: (r) => r.active },
        { key: 'reach_pct', label: 'Reach (%)', numeric: true, decimals: 1, value: (r) => pct(r.reach) },
      ],
    }),
  });
  return [
    ...figure,
    html`<p class="note">
      Eligible: rostered people of the license's audience at the school; active: those of them who used ${app} there in
      the period (distinct people); reach = active ÷ eligible. Seats are bought for the license as a whole, so
      utilization (active ÷ seats) is the license's row above.
    </p>`,
  ];
}
