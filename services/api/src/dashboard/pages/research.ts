import { WEEKLY_TABLES } from '@edusage/research';
import { mayCall, rowsOf } from '../data';
import { html } from '../html';
import type { PageContext, PageDefinition } from '../page';
import { pagePeriod, type Period } from '../period';
import { table, type Table } from '../table';

interface Dataset {
  name: string;
  description: string;
  path: string;
}

type ResearchRow = Record<string, string | number | null>;

const WEEKLY_PATH = '/v1/research/weekly/:table';

/**
 * A research table as stored: its columns are the stored ones (docs/DATA_DICTIONARY.md), named by the
 * endpoint even when no row comes (so an empty download still has its header); a null cell is one the
 * refresh suppressed (under k), shown as such.
 */
function researchTable(
  id: string,
  caption: string,
  empty: string,
  rows: ResearchRow[],
  columns?: readonly string[],
): Table {
  const keys = columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : []);
  return table({
    id,
    caption,
    empty,
    rows,
    columns: keys.map((key) => ({
      key,
      label: key,
      value: (r: ResearchRow) => r[key] ?? null,
      show: (r: ResearchRow) => (r[key] === null ? 'suppressed' : String(r[key])),
    })),
  });
}

/** One weekly research table of the period, through the endpoint's handler. */
async function weeklyTable(ctx: PageContext, name: string, period: Period): Promise<Table> {
  const { rows, csvColumns } = await rowsOf<ResearchRow>(ctx.deps, ctx.principal, WEEKLY_PATH, period, {
    table: name,
  });
  return researchTable(
    name,
    `${name}, weeks starting ${period.from} to ${period.to}`,
    'No row in this period. A week is published once, when it has been over for RESEARCH_SETTLE_WEEKS weeks (2 by default).',
    rows,
    csvColumns,
  );
}

/** The outcome bands of every school year (they are per school year, not per week). */
async function outcomeBands(ctx: PageContext): Promise<Table> {
  const { rows, csvColumns } = await rowsOf<ResearchRow>(ctx.deps, ctx.principal, '/v1/research/outcome-bands', {});
  return researchTable(
    'outcome_bands',
    'outcome_bands, every school year',
    'No outcome band is published yet: a school year is published once, some weeks after it ends on June 30 (docs/DATA_DICTIONARY.md "Publication").',
    rows,
    csvColumns,
  );
}

export const researchPage: PageDefinition = {
  slug: 'research',
  nav: 'Research',
  roles: ['admin', 'director', 'school', 'researcher'],
  async build(ctx) {
    const { body } = await rowsOf(ctx.deps, ctx.principal, '/v1/research', {});
    const datasets = (body.datasets ?? []) as Dataset[];
    const listing = table({
      id: 'datasets',
      caption: 'Research datasets',
      empty: 'No research dataset is defined.',
      rows: datasets,
      columns: [
        { key: 'name', label: 'Dataset', value: (d) => d.name },
        { key: 'description', label: 'What', value: (d) => d.description },
        { key: 'path', label: 'API path', value: (d) => d.path },
      ],
    });
    const intro = html`<p>
      Research views show only k-suppressed tables: a cell with fewer than k people is suppressed (shown as
      "suppressed", empty in the CSV).
    </p>`;
    // A school token may see the listing but not the tables (the endpoint's roles decide).
    if (!mayCall(ctx.principal, WEEKLY_PATH))
      return { title: 'Research views', blocks: [intro, listing, html`<p>Your role may not read these tables.</p>`] };
    const period = pagePeriod(ctx.query, ctx.today);
    const [weekly, bands] = await Promise.all([
      Promise.all(WEEKLY_TABLES.map((name) => weeklyTable(ctx, name, period))),
      outcomeBands(ctx),
    ]);
    return {
      title: 'Research views',
      period,
      freshnessChoice: false,
      blocks: [
        intro,
        listing,
        html`<h2>Weekly tables</h2>`,
        ...weekly,
        html`<h2>Outcome bands</h2>
          <p class="note">
            Growth per usage band of each school year, app, assessment and subject; the period above does not apply.
          </p>`,
        bands,
      ],
    };
  },
};
