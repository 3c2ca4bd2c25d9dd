import { chart } from '../charts';
import { PageError, rowsOf } from '../data';
import { figureSection } from '../figure';
import { html, qs } from '../html';
import { BASE } from '../layout';
import { approvalStatus, licensesOver } from '../licenses-data';
import type { PageContext, PageContent, PageDefinition } from '../page';
import {
  chartedWeeks,
  cutShort,
  dayCount,
  isWholeWeek,
  leftOutWeekNote,
  pagePeriod,
  weekDays,
  weekLabel,
  weeksOf,
  type Period,
} from '../period';
import { namedIdColumns } from '../labels';
import { table } from '../table';
import { usageMeasureColumns, type UsageRow } from '../usage';

const appHref = (app: string, p: Period) => `${BASE}/apps${qs({ app, ...p })}`;

/** A catalog entry a district can import for an unresolved `domain:<host>` (name and category to fill in). */
function catalogEntry(appId: string): string | null {
  if (!appId.startsWith('domain:')) return null;
  const host = appId.slice('domain:'.length);
  const id = host.replace(/\.[a-z]+$/, '').replace(/[^a-z0-9]+/g, '-');
  return JSON.stringify({ app_id: id, name: host, domains: [host], category: 'other' });
}

async function appList({ deps, principal, query, today, labels }: PageContext): Promise<PageContent> {
  const period = pagePeriod(query, today);
  // Trend: the period's last two weeks (7-day weeks ending on `to`, as the overview's). A week before cut
  // short by the period's start (a period under 14 days) is not compared: its fewer days would show a rise.
  const [lastWeek, earlier] = weeksOf(period).reverse();
  const weekBefore = earlier && isWholeWeek(earlier) ? earlier : undefined;
  const weekly = (w: Period | undefined) =>
    w ? rowsOf<UsageRow>(deps, principal, '/v1/usage/district', w) : Promise.resolve({ rows: [] as UsageRow[] });
  const [usage, schools, licenses, unresolved, status, last, before] = await Promise.all([
    rowsOf<UsageRow>(deps, principal, '/v1/usage/district', period),
    rowsOf<UsageRow>(deps, principal, '/v1/usage/schools', period),
    licensesOver(deps, principal, period),
    rowsOf<{ app_id: string; events: number; active_users: number }>(deps, principal, '/v1/unresolved/apps', {
      ...period,
      limit: '1000',
    }),
    approvalStatus(deps, principal, period.to),
    weekly(lastWeek),
    weekly(weekBefore),
  ]);
  const usersIn = (rows: UsageRow[], app: string) => rows.find((r) => r.app_id === app)?.active_users ?? 0;
  const trend = (app: string) => {
    const change = usersIn(last.rows, app) - usersIn(before.rows, app);
    return change > 0 ? `▲ +${change}` : change < 0 ? `▼ ${change}` : '= 0';
  };
  const schoolsOf = (app: string) => schools.rows.filter((r) => r.app_id === app && r.school_id !== '').length;
  const licensesOf = (app: string) => licenses.rows.filter((l) => l.app_id === app).map((l) => l.license_id);
  const entries = unresolved.rows.map((r) => catalogEntry(r.app_id)).filter((e): e is string => e !== null);
  return {
    title: 'Apps',
    period,
    blocks: [
      table({
        id: 'apps',
        caption: `Every app used from ${period.from} to ${period.to}`,
        empty: 'No app was used in this period.',
        rows: usage.rows,
        columns: [
          ...namedIdColumns<UsageRow>({
            key: 'app_id',
            label: 'App',
            id: (r) => r.app_id,
            name: labels.app,
            href: (r) => appHref(r.app_id, period),
          }),
          ...usageMeasureColumns,
          ...(lastWeek
            ? [
                {
                  key: 'users_last_week',
                  // A period under 7 days: its one week is the period, named by its days.
                  label: isWholeWeek(lastWeek)
                    ? `Users, week to ${lastWeek.to}`
                    : `Users, ${lastWeek.from} to ${lastWeek.to} (${dayCount(weekDays(lastWeek))})`,
                  numeric: true as const,
                  value: (r: UsageRow) => usersIn(last.rows, r.app_id),
                  show: (r: UsageRow) =>
                    weekBefore
                      ? `${usersIn(last.rows, r.app_id)} ${trend(r.app_id)}`
                      : `${usersIn(last.rows, r.app_id)}`,
                },
                {
                  key: 'users_week_before',
                  label: 'Week before',
                  numeric: true as const,
                  value: (r: UsageRow) => (weekBefore ? usersIn(before.rows, r.app_id) : null),
                },
              ]
            : []),
          { key: 'schools', label: 'Schools using it', numeric: true, value: (r) => schoolsOf(r.app_id) },
          { key: 'licenses', label: 'Licenses', value: (r) => licensesOf(r.app_id).join(' ') || 'none' },
          { key: 'approval', label: 'Approval', value: (r) => status(r.app_id).label },
        ],
      }),
      earlier && !weekBefore
        ? html`<p class="note">
            ${cutShort('The week before', earlier)}: it is not shown or compared (▲/▼). A period of 14 days or more
            compares two whole weeks.
          </p>`
        : html``,
      html`<h2>Unresolved domains and app ids</h2>
        <p>
          Events whose app the catalog does not know. Add them to the district's catalog extension and import it; later
          events resolve (events already stored keep <code>domain:&lt;host&gt;</code>). Active users are the app's
          people over all its events in the period, resolved ones included: an app resolved during the period counts its
          later users too.
        </p>`,
      table({
        id: 'unresolved-apps',
        caption: 'Unresolved apps by unresolved events',
        empty: 'Every app of this period resolved to the catalog.',
        rows: unresolved.rows,
        // The rollups count people over all of an app's events, not of its unresolved ones: said in the label.
        columns: [
          { key: 'app_id', label: 'Unresolved', value: (r) => r.app_id },
          {
            key: 'active_users',
            label: 'Active users of the app (all its events)',
            numeric: true,
            value: (r) => r.active_users,
          },
          { key: 'events', label: 'Unresolved events', numeric: true, value: (r) => r.events },
        ],
      }),
      entries.length === 0
        ? html``
        : html`<h3>To add them to the catalog</h3>
            <p>
              Put these entries (fix each name and category) in a file
              <code>catalog-${principal.district_id}.json</code> together with the district's earlier extension entries,
              then run:
            </p>
            <pre><code>${`{ "apps": [\n  ${entries.join(',\n  ')}\n] }`}</code></pre>
            <pre><code>node services/enrich/dist/cli.js catalog import --district ${principal.district_id} catalog-${principal.district_id}.json</code></pre>`,
    ],
  };
}

async function appDetail(ctx: PageContext, app: string): Promise<PageContent> {
  const { deps, principal, query, today, labels } = ctx;
  const period = pagePeriod(query, today);
  const weeks = weeksOf(period);
  const name = labels.app(app);
  const [usage, schools, weekly, licenses] = await Promise.all([
    rowsOf<UsageRow>(deps, principal, '/v1/usage/district', { ...period, app }),
    rowsOf<UsageRow>(deps, principal, '/v1/usage/schools', { ...period, app }),
    Promise.all(weeks.map((w) => rowsOf<UsageRow>(deps, principal, '/v1/usage/district', { ...w, app }))),
    licensesOver(deps, principal, period),
  ]);
  if (usage.rows.length === 0)
    throw new PageError(404, [
      `app: no use of "${app}" in district ${principal.district_id} from ${period.from} to ${period.to} (unknown app, or not used then)`,
    ]);
  const weekRows = weeks.map((w, i) => ({ ...w, active: weekly[i]!.rows[0]?.active_users ?? 0 }));
  const charted = chartedWeeks(weekRows);
  const bySchool = schools.rows;
  return {
    title: name === app ? `App ${app}` : name,
    period,
    blocks: [
      html`<p><a href="${BASE}/apps${qs({ ...period })}">← All apps</a></p>`,
      table({
        id: 'app-total',
        caption: `${name} in the district`,
        empty: '',
        rows: usage.rows,
        columns: [
          ...namedIdColumns<UsageRow>({ key: 'app_id', label: 'App', id: (r) => r.app_id, name: labels.app }),
          ...usageMeasureColumns,
        ],
      }),
      leftOutWeekNote(weekRows) ?? html``,
      ...figureSection({
        charts: [
          chart({
            title: `Weekly active users of ${name} (each week shown by its last day)`,
            kind: 'line',
            valueName: 'active users',
            categories: charted.map(weekLabel),
            series: [{ name: 'active users', values: charted.map((w) => w.active) }],
          }),
        ],
        table: table({
          id: 'app-weekly',
          caption: `Weekly active users of ${name}`,
          empty: 'No weeks.',
          rows: weekRows,
          columns: [
            { key: 'week_from', label: 'Week from', value: (w) => w.from },
            { key: 'week_to', label: 'Week to', value: (w) => w.to },
            { key: 'week_days', label: 'Days', numeric: true, value: (w) => weekDays(w) },
            { key: 'active_users', label: 'Active users', numeric: true, value: (w) => w.active },
          ],
        }),
      }),
      ...figureSection({
        charts: [
          chart({
            title: `Active users of ${name} by school`,
            kind: 'hbar',
            valueName: 'active users',
            categories: bySchool.map((r) => labels.school(r.school_id ?? '')),
            series: [{ name: 'active users', values: bySchool.map((r) => r.active_users) }],
          }),
        ],
        table: table({
          id: 'app-schools',
          caption: `${name} by school`,
          empty: 'No school used it.',
          rows: bySchool,
          columns: [
            ...namedIdColumns<UsageRow>({
              key: 'school_id',
              label: 'School',
              id: (r) => r.school_id ?? '',
              name: labels.school,
            }),
            ...usageMeasureColumns,
          ],
        }),
      }),
      table({
        id: 'app-licenses',
        caption: `Licenses of ${name}`,
        empty: 'No license of this app covers the period.',
        rows: licenses.rows.filter((l) => l.app_id === app),
        columns: [
          { key: 'license_id', label: 'License', value: (l) => l.license_id },
          { key: 'seats', label: 'Seats', numeric: true, value: (l) => l.seats },
          { key: 'active', label: 'Active', numeric: true, value: (l) => l.active },
          { key: 'term_end', label: 'Term ends', value: (l) => l.term_end },
        ],
      }),
    ],
  };
}

export const appsPage: PageDefinition = {
  slug: 'apps',
  nav: 'Apps',
  roles: ['admin', 'director'],
  build: (ctx) => (ctx.query.app !== undefined ? appDetail(ctx, ctx.query.app) : appList(ctx)),
};
