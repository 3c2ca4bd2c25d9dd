import { z } from 'zod';
import { readOutcomeBands, readWeeklyTable, RESEARCH_TABLES, WEEKLY_TABLES } from '@edusage/research';
import { defineEndpoint } from '../endpoint';
import { checkPeriod, format, periodQuery } from '../params';

/**
 * The research tables (database `RESEARCH_DATABASE`, k-suppressed by the research refresh: weekly usage
 * per district, school, grade × app, weekly license utilization, outcome bands; no person, no class,
 * nothing finer than a week). These endpoints read only that database, with its own client.
 */
const DESCRIPTIONS: Record<(typeof RESEARCH_TABLES)[number], string> = {
  weekly_app_usage_district: 'weekly active students, events and engaged hours per app (district)',
  weekly_app_usage_school: 'the same per school',
  weekly_app_usage_grade: 'the same per roster grade',
  weekly_license_utilization: 'weekly license utilization (small counts hidden with what derives from them)',
  outcome_bands: 'outcome bands per school year, app, assessment and subject',
};

const ALL_ROLES = ['admin', 'director', 'school', 'researcher'] as const;
const READERS = ['admin', 'director', 'researcher'] as const;

/** A stored research row: the table's columns (docs/DATA_DICTIONARY.md); suppressed cells are null. */
const researchRow = z.record(z.string(), z.union([z.string(), z.number(), z.null()]));

export const researchEndpoints = [
  defineEndpoint({
    method: 'GET',
    path: '/v1/research',
    tag: 'research',
    summary: 'The research datasets and where to read them',
    roles: ALL_ROLES,
    query: z.strictObject({}),
    response: z.object({
      datasets: z.array(z.object({ name: z.string(), description: z.string(), path: z.string() })),
    }),
    list: false,
    async handle() {
      return {
        kind: 'object',
        body: {
          datasets: RESEARCH_TABLES.map((name) => ({
            name,
            description: DESCRIPTIONS[name],
            path: name === 'outcome_bands' ? '/v1/research/outcome-bands' : `/v1/research/weekly/${name}`,
          })),
        },
      };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/research/weekly/:table',
    tag: 'research',
    summary: 'A weekly research table of the district: weeks starting between from and to',
    description: 'Rows as stored in the research database (cells under k are null, `suppressed` = 1).',
    roles: READERS,
    params: z.strictObject({ table: z.enum(WEEKLY_TABLES) }),
    query: z.strictObject({ ...periodQuery, format }).superRefine(checkPeriod),
    response: researchRow,
    list: true,
    async handle({ principal, params, query, deps }) {
      const { columns, rows } = await readWeeklyTable(
        deps.research,
        params.table,
        principal.district_id,
        query.from,
        query.to,
      );
      return {
        kind: 'list',
        meta: { district_id: principal.district_id, table: params.table, from: query.from, to: query.to },
        rows: rows as z.infer<typeof researchRow>[],
        csv: { columns, records: rows as Record<string, string | number>[] },
      };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/research/outcome-bands',
    tag: 'research',
    summary: 'Outcome bands of the district (per school year, app, assessment, subject, band)',
    roles: READERS,
    query: z.strictObject({
      school_year: z
        .string()
        .regex(/^\d{4}-\d{2}$/, 'must be a school year like 2026-27')
        .refine(
          (y) => (Number(y.slice(0, 4)) + 1) % 100 === Number(y.slice(5)),
          'must be consecutive years like 2026-27',
        )
        .optional(),
      format,
    }),
    response: researchRow,
    list: true,
    async handle({ principal, query, deps }) {
      const { columns, rows } = await readOutcomeBands(deps.research, principal.district_id, query.school_year);
      return {
        kind: 'list',
        meta: { district_id: principal.district_id, table: 'outcome_bands' },
        rows: rows as z.infer<typeof researchRow>[],
        csv: { columns, records: rows as Record<string, string | number>[] },
      };
    },
  }),
];
