import { z } from 'zod';
import { defineEndpoint } from '../endpoint';

/**
 * The research tables (k-suppressed weekly usage, license utilization, outcome bands in the database
 * `edusage_research`) are not part of this version yet: the listing says so, and the researcher role
 * can call nothing else. Their endpoints will read only from that database.
 */
export const RESEARCH_DATASETS = [
  { name: 'weekly_usage', description: 'weekly usage per district, school, grade and app (k-suppressed)' },
  { name: 'license_utilization', description: 'license utilization per district and license (k-suppressed)' },
  { name: 'outcome_bands', description: 'outcome bands by usage band (k-suppressed)' },
] as const;

export const researchEndpoints = [
  defineEndpoint({
    method: 'GET',
    path: '/v1/research',
    tag: 'research',
    summary: 'The research datasets and whether this server serves them yet',
    roles: ['admin', 'director', 'school', 'researcher'],
    query: z.strictObject({}),
    response: z.object({
      datasets: z.array(z.object({ name: z.string(), description: z.string(), available: z.boolean() })),
    }),
    list: false,
    async handle() {
      return { kind: 'object', body: { datasets: RESEARCH_DATASETS.map((d) => ({ ...d, available: false })) } };
    },
  }),
];
