import { rowsOf } from '../data';
import { html } from '../html';
import type { PageDefinition } from '../page';
import { table } from '../table';

interface Dataset {
  name: string;
  description: string;
  available: boolean;
}

export const researchPage: PageDefinition = {
  slug: 'research',
  nav: 'Research',
  roles: ['admin', 'director', 'school', 'researcher'],
  async build({ deps, principal }) {
    const { body } = await rowsOf(deps, principal, '/v1/research', {});
    const datasets = (body.datasets ?? []) as Dataset[];
    return {
      title: 'Research views',
      blocks: [
        html`<p>
          Research views show only k-suppressed tables (cells with fewer than k people are suppressed).
          ${datasets.some((d) => d.available) ? '' : 'This server does not serve them yet (the API lists them as not available); the k-suppressed tables are in the research database, read with its read-only user (docs/DATA_DICTIONARY.md).'}
        </p>`,
        table({
          id: 'datasets',
          caption: 'Research datasets',
          empty: 'No research dataset is defined.',
          rows: datasets,
          columns: [
            { key: 'name', label: 'Dataset', value: (d) => d.name },
            { key: 'description', label: 'What', value: (d) => d.description },
            { key: 'available', label: 'Served', value: (d) => (d.available ? 'yes' : 'not yet') },
          ],
        }),
      ],
    };
  },
};
