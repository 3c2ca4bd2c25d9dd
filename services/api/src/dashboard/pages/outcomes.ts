import { z } from 'zod';
import { analyze, MIN_PAIR_DAYS, type Analysis, type BandRow, type GroupReport } from '@edusage/outcomes';
import { plainId } from '../../params';
import { PageError } from '../data';
import { html } from '../html';
import type { PageContext, PageContent, PageDefinition } from '../page';
import { pagePeriod } from '../period';
import { namedIdColumns, type Labels } from '../labels';
import { table } from '../table';
import { errorBarChart } from '../error-bars';
import { figureSection } from '../figure';
import { binnedScatterChart } from '../scatter';

const analysisQuery = z.object({
  app: plainId,
  assessment: plainId,
  subject: plainId,
});

const round = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? null : Number(x.toFixed(d)));

function form(q: Record<string, string | undefined>, from: string, to: string) {
  const field = (name: string, label: string, hint: string) =>
    html`<label
      >${label}
      <input name="${name}" value="${q[name] ?? ''}" required spellcheck="false" aria-describedby="hint-${name}" /><span
        class="hint"
        id="hint-${name}"
        >${hint}</span
      ></label
    >`;
  return html`<form class="period" method="get">
    ${field('app', 'App', 'e.g. ixl')}${field('assessment', 'Assessment', 'e.g. map_growth')}${field('subject', 'Subject', 'e.g. math')}<label
      >From <input type="date" name="from" value="${from}" required /></label
    ><label>To <input type="date" name="to" value="${to}" required /></label><button type="submit">Analyze</button>
  </form>`;
}

function bandTable(id: string, caption: string, rows: BandRow[]) {
  const hidden = (b: BandRow) => (b.suppressed ? `suppressed (${b.suppressed})` : null);
  return table({
    id,
    caption,
    empty: 'No band.',
    rows,
    columns: [
      { key: 'band', label: 'Band', value: (b) => b.band },
      { key: 'n', label: 'Students', numeric: true, value: (b) => b.n, show: (b) => hidden(b) ?? String(b.n) },
      { key: 'mean_pre', label: 'Mean pre', numeric: true, decimals: 1, value: (b) => round(b.meanPre, 1) },
      { key: 'mean_post', label: 'Mean post', numeric: true, decimals: 1, value: (b) => round(b.meanPost, 1) },
      {
        key: 'growth',
        label: 'Mean growth',
        numeric: true,
        decimals: 2,
        value: (b) => round(b.growth?.mean),
        show: (b) => hidden(b) ?? (b.growth ? b.growth.mean.toFixed(2) : '—'),
      },
      { key: 'ci_low', label: '95 % CI low', numeric: true, decimals: 2, value: (b) => round(b.growth?.ciLow) },
      { key: 'ci_high', label: '95 % CI high', numeric: true, decimals: 2, value: (b) => round(b.growth?.ciHigh) },
      { key: 'note', label: 'Note', value: (b) => b.suppressed ?? b.growthNote ?? '' },
    ],
  });
}

function districtBlocks(g: GroupReport, a: Analysis) {
  const shown = g.goalBands.filter((b) => b.growth !== null);
  const regressions = g.regressions.map((r) => (r.ok ? { ...r.value, reason: '' } : { reason: r.reason }));
  return [
    html`<h2>Verdict</h2>
      <p class="verdict">${g.verdict.text}</p>
      ${
        g.verdict.caveats.length
          ? html`<ul>
              ${g.verdict.caveats.map((c) => html`<li>${c}</li>`)}
            </ul>`
          : ''
      }`,
    ...figureSection({
      heading: `Growth by usage band (goal ${a.goal} engaged minutes a week)`,
      charts: [
        errorBarChart({
          title: `Mean growth with 95 % confidence intervals by usage band (${g.n} students)`,
          categories: shown.map((b) => b.band),
          means: shown.map((b) => b.growth!.mean),
          lows: shown.map((b) => b.growth!.ciLow),
          highs: shown.map((b) => b.growth!.ciHigh),
        }),
      ],
      table: bandTable('goal-bands', 'Growth by usage band (district)', g.goalBands),
    }),
    ...binnedBlocks(g),
    table({
      id: 'regressions',
      caption: 'Regression of growth on minutes per week',
      empty: 'No regression could be fitted.',
      rows: regressions,
      columns: [
        { key: 'model', label: 'Model', value: (r) => ('model' in r ? r.model : 'not fitted') },
        { key: 'n', label: 'n', numeric: true, value: (r) => ('n' in r ? r.n : null) },
        {
          key: 'estimate',
          label: 'Growth per minute a week',
          numeric: true,
          decimals: 4,
          value: (r) => ('estimate' in r ? round(r.estimate, 4) : null),
        },
        {
          key: 'ci_low',
          label: '95 % CI low (HC1)',
          numeric: true,
          decimals: 4,
          value: (r) => ('hc1' in r ? round(r.hc1.ciLow, 4) : null),
        },
        {
          key: 'ci_high',
          label: '95 % CI high (HC1)',
          numeric: true,
          decimals: 4,
          value: (r) => ('hc1' in r ? round(r.hc1.ciHigh, 4) : null),
        },
        {
          key: 'p',
          label: 'p (HC1)',
          numeric: true,
          decimals: 4,
          value: (r) => ('hc1' in r ? round(r.hc1.p, 4) : null),
        },
        { key: 'r2', label: 'R²', numeric: true, decimals: 3, value: (r) => ('r2' in r ? round(r.r2, 3) : null) },
        {
          key: 'note',
          label: 'Why not fitted',
          value: (r) => r.reason,
          // The reason can list every school of a fixed-effects model: shortened here, whole in the CSV.
          show: (r) => (r.reason.length > 160 ? `${r.reason.slice(0, 159)}…` : r.reason),
        },
      ],
    }),
  ];
}

/**
 * Usage against growth as a binned scatter with the fitted line of the first regression (post ~ usage
 * + pre) at the group's mean pre-test: growth = mean growth + slope × (minutes − mean minutes), the
 * OLS prediction there (an OLS fit passes through the means). Never a point per student.
 */
function binnedBlocks(g: GroupReport) {
  const fit = g.regressions[0];
  const heading = html`<h2>Usage against growth</h2>`;
  if (!g.binned.ok) return [heading, html`<p class="note">No binned scatter: ${g.binned.reason}.</p>`];
  const b = g.binned.value;
  const slope = fit?.ok ? fit.value.estimate : null;
  const line = slope === null ? null : { slope, intercept: b.meanGrowth - slope * b.meanMinutesPerWeek };
  const shown = b.bins.filter((x) => x.n !== null);
  return [
    ...figureSection({
      heading,
      charts: [
        binnedScatterChart({
          title: `Mean growth against mean minutes a week in ${b.bins.length} usage bins of at least k students${line ? ', with the fitted line' : ''}`,
          points: shown.map((x) => ({ x: x.meanMinutesPerWeek!, y: x.meanGrowth! })),
          line,
        }),
      ],
      table: table({
        id: 'usage-bins',
        caption: 'Usage bins (district): students ordered by minutes a week, cut into equal groups',
        empty: 'No bin.',
        rows: b.bins,
        columns: [
          { key: 'bin', label: 'Bin (1 = least use)', value: (x) => x.bin },
          { key: 'n', label: 'Students', numeric: true, value: (x) => x.n, show: (x) => x.suppressed ?? String(x.n) },
          {
            key: 'mean_minutes',
            label: 'Mean minutes a week',
            numeric: true,
            decimals: 1,
            value: (x) => round(x.meanMinutesPerWeek, 2),
          },
          {
            key: 'mean_growth',
            label: 'Mean growth',
            numeric: true,
            decimals: 2,
            value: (x) => round(x.meanGrowth, 4),
          },
        ],
      }),
    }),
    html`<p class="note">
      Not a point per student (that would publish student-level data): each point is the mean of a bin of at least k
      students, as many equal bins as keep k in each (at most 20); no bin edge is shown. The line is the fitted
      regression (post ~ usage + pre, first row below) at the district's mean
      pre-test${
        line
          ? html`: growth = ${line.intercept.toFixed(2)} + ${line.slope.toFixed(4)} × minutes a week`
          : ' (not fitted, so not drawn)'
      }.
    </p>`,
  ];
}

/** A group's name where it is a school or class of the roster (grades and campus groups are their ids). */
const groupName = (labels: Labels, g: GroupReport) =>
  g.dimension === 'school' ? labels.school(g.id) : g.dimension === 'class' ? labels.klass(g.id) : g.id;

async function analysisPage(ctx: PageContext): Promise<PageContent> {
  const period = pagePeriod(ctx.query, ctx.today);
  const parsed = analysisQuery.safeParse(ctx.query);
  if (!parsed.success)
    throw new PageError(
      400,
      parsed.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`),
    );
  const q = parsed.data;
  const a = await analyze(ctx.deps.ch, { districtId: ctx.principal.district_id, ...q, ...period });
  const mine = a.groups.find((g) => g.dimension === 'district');
  const others = a.groups.filter((g) => g.dimension !== 'district');
  return {
    title: `Outcomes: ${ctx.labels.app(q.app)}, ${q.assessment} ${q.subject}`,
    blocks: [
      form(ctx.query, period.from, period.to),
      html`<p>
        ${a.students ?? `Fewer than ${a.k}`} students with a pre and a post test between ${period.from} and
        ${period.to}; ${a.withoutPair ?? `fewer than ${a.k}`} without a pair (one test day, or tests under
        ${MIN_PAIR_DAYS} days apart: no growth). Cells under ${a.k} students are suppressed, and so are counts under
        ${a.k}.
      </p>`,
      ...(mine
        ? districtBlocks(mine, a)
        : [
            html`<div class="empty-state">
              <h2>Nothing to show</h2>
              <p class="empty">
                ${a.students === 0 ? 'No student of this district has a pre and a post test of this assessment and subject in the period.' : `Fewer than ${a.k} students: the whole group is suppressed.`}
              </p>
            </div>`,
          ]),
      table({
        id: 'groups',
        caption: 'Schools, classes, grades and campus groups',
        empty: 'No group other than the district is shown (each would be under k, or could reveal one that is).',
        rows: others,
        columns: [
          { key: 'dimension', label: 'Group', value: (g) => g.dimension },
          ...namedIdColumns<GroupReport>({
            key: 'id',
            nameKey: 'name',
            label: 'Which',
            id: (g) => g.id,
            name: (_id, g) => groupName(ctx.labels, g),
          }),
          { key: 'n', label: 'Students', numeric: true, value: (g) => g.n },
          { key: 'tier3', label: 'Meets Tier III', value: (g) => (g.verdict.meetsTierIII ? 'yes' : 'no') },
        ],
      }),
      table({
        id: 'hidden',
        caption: 'Groups not shown (suppressed)',
        empty: 'No group is suppressed.',
        rows: Object.entries(a.hidden).map(([dimension, count]) => ({ dimension, count })),
        columns: [
          { key: 'dimension', label: 'Group', value: (r) => r.dimension },
          { key: 'count', label: 'Suppressed groups', numeric: true, value: (r) => r.count },
        ],
      }),
    ],
  };
}

/**
 * Outcomes: the evidence analysis of packages/outcomes (`outcomes analyze`, the same function) for an
 * app, assessment, subject and period: growth by usage band with 95 % CIs, the regression, the verdict,
 * suppressed cells marked. The API has no outcomes endpoint yet; this page reads the function directly.
 */
export const outcomesPage: PageDefinition = {
  slug: 'outcomes',
  nav: 'Outcomes',
  roles: ['admin', 'director'],
  async build(ctx) {
    if (ctx.query.app === undefined && ctx.query.assessment === undefined && ctx.query.subject === undefined) {
      const period = pagePeriod(ctx.query, ctx.today);
      return {
        title: 'Outcomes',
        blocks: [
          form(ctx.query, period.from, period.to),
          html`<div class="empty-state">
            <h2>Choose an app, an assessment and a subject</h2>
            <p>
              The analysis compares each student's growth between a pre and a post test with their use of the app in
              between. It needs assessment results imported with <code>outcomes import</code> (packages/outcomes);
              without them there is no outcome data yet, and this page shows nothing estimated.
            </p>
          </div>`,
        ],
      };
    }
    return analysisPage(ctx);
  },
};
