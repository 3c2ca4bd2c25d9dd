import { chart } from '../../charts';
import { figureSection } from '../../figure';
import { hours, html, type Html } from '../../html';
import { namedIdColumns, type Labels } from '../../labels';
import { chartedWeeks, leftOutWeekNote, weekDays, weekLabel, type Period } from '../../period';
import { table, type Table } from '../../table';
import { usageMeasureColumns, type UsageRow } from '../../usage';
import type { WeekRow } from './answers';

const TOP_APPS = 10;
const TREND_APPS = 5;

/** The overview's usage figures (a period with usage): weekly use, the most used apps' trend, top apps. */
export function usageBlocks(apps: UsageRow[], weekRows: WeekRow[], period: Period, labels: Labels): (Html | Table)[] {
  const trendApps = apps.slice(0, TREND_APPS).map((a) => a.app_id);
  return [
    ...weeklyUseFigure(weekRows),
    ...appTrendFigure(weekRows, trendApps, labels),
    // Served as written: reformatting the note would change the page's whitespace.
    // prettier-ignore
    html`<p class="note">
        Weekly active users are distinct people over the whole week: district-wide across all apps
        (<code>/v1/usage/weekly</code>), and per app (<code>/v1/usage/district</code> for that week). A person using
        three apps on five days is one person, so the per-app figures add up to more than the district's.
      </p>`,
    ...topAppsFigure(apps.slice(0, TOP_APPS), period, labels),
  ];
}

/** A week's days: the tables keep a first week cut short, with its days (the charts leave it out). */
const weekDaysColumn = { key: 'week_days', label: 'Days', numeric: true, value: (w: WeekRow) => weekDays(w) };

/** District-wide engaged hours and active users per week: two charts and their table. */
function weeklyUseFigure(weekRows: WeekRow[]): (Html | Table)[] {
  const charted = chartedWeeks(weekRows);
  const note = leftOutWeekNote(weekRows);
  return figureSection({
    heading: note
      ? html`<h2>Weekly use</h2>
          ${note}`
      : 'Weekly use',
    charts: [
      chart({
        title: 'Engaged hours per week (all apps; each week shown by its last day)',
        kind: 'bar',
        valueName: 'hours',
        categories: charted.map(weekLabel),
        series: [{ name: 'engaged hours', values: charted.map((w) => hours(w.total.engaged_seconds)) }],
      }),
      chart({
        title: 'Weekly active users, district-wide (distinct people, any app; each week shown by its last day)',
        kind: 'line',
        valueName: 'people',
        categories: charted.map(weekLabel),
        series: [{ name: 'active users', values: charted.map((w) => w.total.active_users) }],
      }),
    ],
    table: weeklyTotalsTable(weekRows),
  });
}

/** Each week's district-wide totals and how many apps were used. */
function weeklyTotalsTable(weekRows: WeekRow[]): Table {
  return table({
    id: 'weekly-hours',
    caption: 'Active users, engaged hours and events per week',
    empty: 'No weeks in this period.',
    rows: weekRows,
    columns: [
      { key: 'week_from', label: 'Week from', value: (w) => w.from },
      { key: 'week_to', label: 'Week to', value: (w) => w.to },
      weekDaysColumn,
      { key: 'apps', label: 'Apps used', numeric: true, value: (w) => w.rows.length },
      {
        key: 'active_users',
        label: 'Active users (distinct, any app)',
        numeric: true,
        value: (w) => w.total.active_users,
      },
      {
        key: 'engaged_hours',
        label: 'Engaged hours',
        numeric: true,
        decimals: 1,
        value: (w) => hours(w.total.engaged_seconds),
      },
      { key: 'events', label: 'Events', numeric: true, value: (w) => w.total.events },
    ],
  });
}

/** An app's active users in a week (0 when it was not used that week). */
const weekActiveUsers = (w: WeekRow, app: string) => w.rows.find((r) => r.app_id === app)?.active_users ?? 0;

/** Weekly active users of each of the most used apps: a line each, and their table. */
function appTrendFigure(weekRows: WeekRow[], trendApps: string[], labels: Labels): (Html | Table)[] {
  const charted = chartedWeeks(weekRows);
  return figureSection({
    charts: [
      chart({
        title: `Weekly active users of the ${trendApps.length} most used apps (each week shown by its last day)`,
        kind: 'line',
        valueName: 'active users',
        categories: charted.map(weekLabel),
        series: trendApps.map((app) => ({
          name: labels.app(app),
          values: charted.map((w) => weekActiveUsers(w, app)),
        })),
      }),
    ],
    table: table({
      id: 'weekly-active',
      caption: 'Weekly active users of the most used apps',
      empty: 'No app was used in this period.',
      rows: trendApps.length === 0 ? [] : weekRows,
      columns: [
        { key: 'week_to', label: 'Week to', value: (w) => w.to },
        weekDaysColumn,
        ...trendApps.map((app) => ({
          key: app,
          label: labels.app(app),
          numeric: true,
          value: (w: WeekRow) => weekActiveUsers(w, app),
        })),
      ],
    }),
  });
}

/** The period's most used apps by active users: a chart and the table with every usage measure. */
function topAppsFigure(top: UsageRow[], period: Period, labels: Labels): (Html | Table)[] {
  return figureSection({
    heading: 'Top apps',
    charts: [
      chart({
        title: `Active users of the top ${top.length} apps, ${period.from} to ${period.to}`,
        kind: 'hbar',
        valueName: 'active users',
        categories: top.map((a) => labels.app(a.app_id)),
        series: [{ name: 'active users', values: top.map((a) => a.active_users) }],
      }),
    ],
    table: table({
      id: 'top-apps',
      caption: `Top ${TOP_APPS} apps by active users`,
      empty: 'No usage in this period.',
      rows: top,
      columns: [
        ...namedIdColumns<UsageRow>({ key: 'app_id', label: 'App', id: (r) => r.app_id, name: labels.app }),
        ...usageMeasureColumns,
      ],
    }),
  });
}
