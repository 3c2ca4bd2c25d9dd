import { BoundedMap } from '@edusage/runtime';
import { campusBlocks, onCampusShare, type CampusRow } from '../campus';
import { chart } from '../charts';
import { deadLettersToday, type DeadLetterDayRow } from '../dead-letters';
import { mayCall, rowsOf } from '../data';
import { figureSection } from '../figure';
import { fmt1, fmtInt, fmtMonth, fmtPct, fmtUtcMinute, hours, html, type Html } from '../html';
import type { PageDefinition } from '../page';
import { pagePeriod, weeksOf } from '../period';
import { table } from '../table';
import { sum, usageMeasureColumns, type UsageRow } from '../usage';

interface WeekTotal {
  week_from: string;
  week_to: string;
  active_users: number;
  events: number;
  engaged_seconds: number;
}
interface Unresolved {
  total_events: number;
  unresolved_person_events: number;
  unresolved_app_events: number;
  unattributed_school_events: number;
}
interface Lag {
  groups: { group: string; lag: number }[];
  last_stored_at: string;
  seconds_since_last_stored: number | null;
  kafka_error: string | null;
  rollup_compaction: {
    last_checked_at: string | null;
    seconds_since_checked: number | null;
    months_not_compacted: number[];
  };
}

/** The rollup compaction's last run, for the pipeline health section. */
export function compactionLine(c: Lag['rollup_compaction']): Html {
  const when =
    c.last_checked_at === null || c.seconds_since_checked === null
      ? 'no compaction run yet'
      : `last run ${fmtUtcMinute(c.last_checked_at)} (${Math.round(c.seconds_since_checked / 60)} minutes ago)`;
  const waiting =
    c.months_not_compacted.length === 0
      ? ''
      : `; months not compacted yet: ${c.months_not_compacted.map(fmtMonth).join(', ')}`;
  return html`<p>Rollup compaction: ${when}${waiting}.</p>`;
}

const TOP_APPS = 10;

/**
 * Kafka lag takes a round of admin requests (about a quarter second) and is deployment-wide: the
 * overview reuses a district's answer up to LAG_MAX_AGE_MS old, so the page stays light. A failure is kept as
 * the error (the page says lag is unavailable) and retried at the next page after the same age.
 */
const LAG_MAX_AGE_MS = 10_000;
type LagAnswer = Promise<{ body: Record<string, unknown> } | Error>;
/** Per district: the answer also holds the district's newest stored event. */
const lagCache = new BoundedMap<string, { at: number; answer: LagAnswer }>(1_000);
function recentLag(districtId: string, fetch: () => Promise<{ body: Record<string, unknown> }>): LagAnswer {
  const now = Date.now();
  const cached = lagCache.get(districtId);
  if (cached && now - cached.at <= LAG_MAX_AGE_MS) return cached.answer;
  const answer = fetch().catch((err: Error) => err);
  lagCache.set(districtId, { at: now, answer });
  return answer;
}
const TREND_APPS = 5;

export const overviewPage: PageDefinition = {
  slug: 'overview',
  nav: 'Overview',
  roles: ['admin', 'director'],
  async build({ deps, principal, query, today, utcToday }) {
    const period = pagePeriod(query, today);
    const weeks = weeksOf(period);
    const get = <R>(path: string, q: Record<string, string | undefined> = {}) => rowsOf<R>(deps, principal, path, q);
    const [usage, weekly, totals, unresolved, deadLetters, lag, campus, deadToday] = await Promise.all([
      get<UsageRow>('/v1/usage/district', period),
      Promise.all(weeks.map((w) => get<UsageRow>('/v1/usage/district', w))),
      get<WeekTotal>('/v1/usage/weekly', period),
      get('/v1/unresolved', period),
      get<{ stage: string; count: number }>('/v1/dead-letters'),
      mayCall(principal, '/v1/pipeline/lag') ? recentLag(principal.district_id, () => get('/v1/pipeline/lag')) : null,
      get<CampusRow>('/v1/usage/campus', period),
      get<DeadLetterDayRow>('/v1/dead-letters/daily', { from: utcToday, to: utcToday }),
    ]);
    const apps = usage.rows;
    const u = unresolved.body as unknown as Unresolved;
    const top = apps.slice(0, TOP_APPS);
    const trendApps = apps.slice(0, TREND_APPS).map((a) => a.app_id);
    // The weekly totals answer the same weeks, oldest first (weeksOf is the API's week rule).
    const weekRows = weeks.map((w, i) => ({ ...w, rows: weekly[i]!.rows, total: totals.rows[i]! }));
    const share = (n: number) => (u.total_events > 0 ? n / u.total_events : null);
    const dead = sum(deadLetters.rows.map((r) => r.count));
    // Kafka may not answer (or not host the topics yet): the rest of the page still shows.
    const l = lag && !(lag instanceof Error) ? (lag.body as unknown as Lag) : undefined;
    const lagError = lag instanceof Error ? lag.message : (l?.kafka_error ?? null);
    const kafkaLag = l && l.kafka_error === null ? l.groups : undefined;

    const kpis = [
      ['Apps in use', fmtInt(apps.length)],
      ['Engaged hours', fmt1(hours(sum(apps.map((a) => a.engaged_seconds))))],
      ['Active users, last week', fmtInt(weekRows.at(-1)?.total.active_users ?? 0)],
      ['Events', fmtInt(u.total_events)],
      ['Unresolved app share', fmtPct(share(u.unresolved_app_events))],
      ['Engaged time on campus', onCampusShare(campus.rows)],
      ['Dead letters today', fmtInt(sum(deadToday.rows.map((r) => r.count)))],
      ['Dead letters (all time)', fmtInt(dead)],
      ...(kafkaLag ? [['Pipeline lag (messages)', fmtInt(sum(kafkaLag.map((g) => g.lag)))]] : []),
    ];
    const usageBlocks = () => [
      ...figureSection({
        heading: 'Weekly use',
        charts: [
          chart({
            title: 'Engaged hours per week (all apps)',
            kind: 'bar',
            valueName: 'hours',
            categories: weekRows.map((w) => w.to),
            series: [{ name: 'engaged hours', values: weekRows.map((w) => hours(w.total.engaged_seconds)) }],
          }),
          chart({
            title: 'Weekly active users, district-wide (distinct people, any app)',
            kind: 'line',
            valueName: 'people',
            categories: weekRows.map((w) => w.to),
            series: [{ name: 'active users', values: weekRows.map((w) => w.total.active_users) }],
          }),
        ],
        table: table({
          id: 'weekly-hours',
          caption: 'Active users, engaged hours and events per week',
          empty: 'No weeks in this period.',
          rows: weekRows,
          columns: [
            { key: 'week_from', label: 'Week from', value: (w) => w.from },
            { key: 'week_to', label: 'Week to', value: (w) => w.to },
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
        }),
      }),
      ...figureSection({
        charts: [
          chart({
            title: `Weekly active users of the ${trendApps.length} most used apps`,
            kind: 'line',
            valueName: 'active users',
            categories: weekRows.map((w) => w.to),
            series: trendApps.map((app) => ({
              name: app,
              values: weekRows.map((w) => w.rows.find((r) => r.app_id === app)?.active_users ?? 0),
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
            ...trendApps.map((app) => ({
              key: app,
              label: app,
              numeric: true,
              value: (w: (typeof weekRows)[number]) => w.rows.find((r) => r.app_id === app)?.active_users ?? 0,
            })),
          ],
        }),
      }),
      html`<p class="note">
        Weekly active users are distinct people over the whole week: district-wide across all apps
        (<code>/v1/usage/weekly</code>), and per app (<code>/v1/usage/district</code> for that week). A person using
        three apps on five days is one person, so the per-app figures add up to more than the district's.
      </p>`,
      ...figureSection({
        heading: 'Top apps',
        charts: [
          chart({
            title: `Active users of the top ${top.length} apps, ${period.from} to ${period.to}`,
            kind: 'hbar',
            valueName: 'active users',
            categories: top.map((a) => a.app_id),
            series: [{ name: 'active users', values: top.map((a) => a.active_users) }],
          }),
        ],
        table: table({
          id: 'top-apps',
          caption: `Top ${TOP_APPS} apps by active users`,
          empty: 'No usage in this period.',
          rows: top,
          columns: [{ key: 'app_id', label: 'App', value: (r) => r.app_id }, ...usageMeasureColumns],
        }),
      }),
    ];
    return {
      title: 'Overview',
      period,
      blocks: [
        html`<ul class="kpis">
          ${kpis.map(([k, v]) => html`<li><span class="k">${k}</span><span class="v">${v}</span></li>`)}
        </ul>`,
        ...(apps.length === 0
          ? [
              html`<div class="empty-state">
                <h2>No usage in this period</h2>
                <p class="empty">
                  No event of district ${principal.district_id} is stored for ${period.from} to ${period.to}. If events
                  are being sent, see Data health for rejected input; otherwise pick a period with data.
                </p>
              </div>`,
            ]
          : usageBlocks()),
        html`<h2>Data quality</h2>`,
        table({
          id: 'unresolved',
          caption: 'Unresolved share of events',
          empty: 'No events in this period.',
          rows:
            u.total_events === 0
              ? []
              : [
                  { what: 'person not in the roster', events: u.unresolved_person_events },
                  { what: 'app not in the catalog', events: u.unresolved_app_events },
                  { what: 'no school', events: u.unattributed_school_events },
                ],
          columns: [
            { key: 'what', label: 'Events with', value: (r) => r.what },
            { key: 'events', label: 'Events', numeric: true, value: (r) => r.events },
            {
              key: 'share_pct',
              label: 'Share of all events (%)',
              numeric: true,
              decimals: 1,
              value: (r) => Math.round((r.events / u.total_events) * 1000) / 10,
            },
          ],
        }),
        ...campusBlocks(campus.rows, period),
        html`<h2>Pipeline health</h2>`,
        kafkaLag
          ? table({
              id: 'lag',
              caption: 'Kafka consumer lag (messages not yet processed)',
              empty: 'No consumer groups.',
              rows: kafkaLag,
              columns: [
                { key: 'group', label: 'Group', value: (g) => g.group },
                { key: 'lag', label: 'Lag (messages)', numeric: true, value: (g) => g.lag },
              ],
            })
          : lagError !== null
            ? html`<p class="message" role="status">Pipeline lag is unavailable now: ${lagError}</p>`
            : html`<p class="note">
                Pipeline lag is shown to admin tokens only (it counts every district's messages).
              </p>`,
        l ? html`<p>Newest stored event: ${l.last_stored_at || 'none yet'}.</p>` : html``,
        l ? compactionLine(l.rollup_compaction) : html``,
        deadLettersToday(deadToday.rows, utcToday),
        table({
          id: 'dead-letters',
          caption: 'Dead letters by stage (all time)',
          empty: 'No dead letters.',
          rows: [...new Set(deadLetters.rows.map((r) => r.stage))].map((stage) => ({
            stage,
            count: sum(deadLetters.rows.filter((r) => r.stage === stage).map((r) => r.count)),
          })),
          columns: [
            { key: 'stage', label: 'Stage', value: (r) => r.stage },
            { key: 'count', label: 'Inputs', numeric: true, value: (r) => r.count },
          ],
        }),
      ],
    };
  },
};
