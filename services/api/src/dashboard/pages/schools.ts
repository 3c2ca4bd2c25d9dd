import { chart } from '../charts';
import { PageError, rowsOf } from '../data';
import { figureSection } from '../figure';
import { hours, html, qs } from '../html';
import { BASE } from '../layout';
import type { PageContext, PageContent, PageDefinition } from '../page';
import { pagePeriod, type Period } from '../period';
import { namedIdColumns, type Labels } from '../labels';
import { table, type Column } from '../table';
import { sum, usageMeasureColumns, type UsageRow } from '../usage';

/** Per school or class: what adds up across apps (people do not: one person uses several apps). */
interface Group {
  id: string;
  apps: number;
  engaged_seconds: number;
  events: number;
  top_app: string;
  top_app_users: number;
}

function groupBy(rows: UsageRow[], key: (r: UsageRow) => string): Group[] {
  const ids = [...new Set(rows.map(key))];
  return ids.map((id) => {
    const mine = rows.filter((r) => key(r) === id);
    const top = [...mine].sort((a, b) => b.active_users - a.active_users || a.app_id.localeCompare(b.app_id))[0]!;
    return {
      id,
      apps: mine.length,
      engaged_seconds: sum(mine.map((r) => r.engaged_seconds)),
      events: sum(mine.map((r) => r.events)),
      top_app: top.app_id,
      top_app_users: top.active_users,
    };
  });
}

const groupColumns = (
  o: { label: string; name(id: string): string; href(g: Group): string | null },
  labels: Labels,
): Column<Group>[] => [
  ...namedIdColumns<Group>({ key: 'id', nameKey: 'name', label: o.label, id: (g) => g.id, name: o.name, href: o.href }),
  { key: 'apps', label: 'Apps used', numeric: true, value: (g) => g.apps },
  { key: 'engaged_hours', label: 'Engaged hours', numeric: true, decimals: 1, value: (g) => hours(g.engaged_seconds) },
  { key: 'events', label: 'Events', numeric: true, value: (g) => g.events },
  ...namedIdColumns<Group>({ key: 'top_app', label: 'Most used app', id: (g) => g.top_app, name: labels.app }),
  { key: 'top_app_users', label: 'Its active users', numeric: true, value: (g) => g.top_app_users },
];

/** Apps used `where` ("at school …", "in class …"): the top 15 in a chart, every one in the table. */
const appFigure = (id: string, where: string, rows: UsageRow[], labels: Labels) =>
  figureSection({
    charts: [
      chart({
        title: `Active users by app ${where}`,
        kind: 'hbar',
        valueName: 'active users',
        categories: rows.slice(0, 15).map((r) => labels.app(r.app_id)),
        series: [{ name: 'active users', values: rows.slice(0, 15).map((r) => r.active_users) }],
      }),
    ],
    table: table({
      id,
      caption: `Apps ${where}`,
      empty: 'No use in this period.',
      rows,
      columns: [
        ...namedIdColumns<UsageRow>({ key: 'app_id', label: 'App', id: (r) => r.app_id, name: labels.app }),
        ...usageMeasureColumns,
      ],
    }),
  });

/** How a page names a school or class: its name, else "school <id>" (`title`: as a heading). */
function place(kind: 'school' | 'class', id: string, labels: Labels): { title: string; phrase: string } {
  const name = kind === 'school' ? labels.school(id) : labels.klass(id);
  if (name !== id) return { title: name, phrase: name };
  return { title: `${kind === 'school' ? 'School' : 'Class'} ${id}`, phrase: `${kind} ${id}` };
}

function crumbs(p: Period, labels: Labels, school?: string, klass?: string, showDistrict = true) {
  const parts = [
    showDistrict ? html`<a href="${BASE}/schools${qs({ ...p })}">District</a>` : null,
    school && klass
      ? html`<a href="${BASE}/schools${qs({ school, ...p })}">${place('school', school, labels).title}</a>`
      : school
        ? html`${place('school', school, labels).title}`
        : null,
    klass ? html`${place('class', klass, labels).title}` : null,
  ].filter((x) => x !== null);
  return html`<nav aria-label="Breadcrumb" class="crumbs">
    <ol>
      ${parts.map((x) => html`<li>${x}</li>`)}
    </ol>
  </nav>`;
}

async function district(ctx: PageContext, period: Period): Promise<PageContent> {
  const { rows } = await rowsOf<UsageRow>(ctx.deps, ctx.principal, '/v1/usage/schools', period);
  const schools = groupBy(rows, (r) => r.school_id ?? '').sort((a, b) => b.engaged_seconds - a.engaged_seconds);
  return {
    title: 'Schools and classes',
    period,
    blocks: [
      ...figureSection({
        charts: [
          chart({
            title: 'Engaged hours by school',
            kind: 'hbar',
            valueName: 'hours',
            categories: schools.map((s) => ctx.labels.school(s.id)),
            series: [{ name: 'engaged hours', values: schools.map((s) => hours(s.engaged_seconds)) }],
          }),
        ],
        table: table({
          id: 'schools',
          caption: `Schools, ${period.from} to ${period.to}`,
          empty: 'No school used any app in this period.',
          rows: schools,
          columns: groupColumns(
            {
              label: 'School',
              name: ctx.labels.school,
              href: (g) => (g.id === '' ? null : `${BASE}/schools${qs({ school: g.id, ...period })}`),
            },
            ctx.labels,
          ),
        }),
      }),
      html`<p class="note">
        People are counted per app (one person uses several apps), so a school's row shows its most used app's active
        users, not a sum.
      </p>`,
    ],
  };
}

async function school(ctx: PageContext, period: Period, schoolId: string): Promise<PageContent> {
  const q = { ...period, school: schoolId };
  const [apps, classes] = await Promise.all([
    rowsOf<UsageRow>(ctx.deps, ctx.principal, '/v1/usage/schools', q),
    rowsOf<UsageRow>(ctx.deps, ctx.principal, '/v1/usage/classes', q),
  ]);
  if (apps.rows.length === 0)
    throw new PageError(404, [
      `school: no use at school "${schoolId}" in district ${ctx.principal.district_id} from ${period.from} to ${period.to} (unknown school, or no use then)`,
    ]);
  const groups = groupBy(classes.rows, (r) => r.class_id ?? '').sort((a, b) => a.id.localeCompare(b.id));
  const name = place('school', schoolId, ctx.labels);
  return {
    title: name.title,
    period,
    blocks: [
      crumbs(period, ctx.labels, schoolId, undefined, ctx.principal.role !== 'school'),
      ...appFigure('school-apps', `at ${name.phrase}`, apps.rows, ctx.labels),
      table({
        id: 'classes',
        caption: `Classes of ${name.phrase}`,
        empty: 'No use was attributed to a class of this school.',
        rows: groups,
        columns: groupColumns(
          {
            label: 'Class',
            name: ctx.labels.klass,
            href: (g) => `${BASE}/schools${qs({ school: schoolId, class: g.id, ...period })}`,
          },
          ctx.labels,
        ),
      }),
    ],
  };
}

async function klass(ctx: PageContext, period: Period, schoolId: string, classId: string): Promise<PageContent> {
  const { rows } = await rowsOf<UsageRow>(ctx.deps, ctx.principal, '/v1/usage/classes', {
    ...period,
    school: schoolId,
    class: classId,
  });
  if (rows.length === 0)
    throw new PageError(404, [
      `class: no use in class "${classId}" of school "${schoolId}" from ${period.from} to ${period.to} (unknown class, or no use then)`,
    ]);
  const name = place('class', classId, ctx.labels);
  return {
    title: name.title,
    period,
    blocks: [
      crumbs(period, ctx.labels, schoolId, classId, ctx.principal.role !== 'school'),
      ...appFigure('class-apps', `in ${name.phrase}`, rows, ctx.labels),
    ],
  };
}

export const schoolsPage: PageDefinition = {
  slug: 'schools',
  nav: 'Schools and classes',
  roles: ['admin', 'director', 'school'],
  async build(ctx) {
    const period = pagePeriod(ctx.query, ctx.today);
    // A school token starts at (and is confined to) its own school: the API refuses another school.
    const schoolId = ctx.query.school ?? (ctx.principal.role === 'school' ? ctx.principal.school_id : undefined);
    if (ctx.query.class !== undefined && schoolId === undefined)
      throw new PageError(400, ['class: give the school too (school=<id>&class=<id>)']);
    if (schoolId === undefined) return district(ctx, period);
    if (ctx.query.class === undefined) return school(ctx, period, schoolId);
    return klass(ctx, period, schoolId, ctx.query.class);
  },
};
