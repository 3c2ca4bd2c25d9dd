import { z } from 'zod';
import { ANALYSIS_CSV_COLUMNS, analysisCsvRecords, analyze } from '@edusage/outcomes';
import { defineEndpoint } from '../endpoint';
import { checkPeriod, format, periodQuery, plainId } from '../params';

/** The API publishes no cell smaller than the outcomes default (10 students); a caller may only ask for more. */
export const MIN_PUBLISHED_CELL = 10;

const whole = (min: number, max: number, dflt: number | undefined, what: string) => {
  const s = z
    .string()
    .regex(/^\d{1,6}$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be ${min} to ${max}`);
  return (dflt === undefined ? s.optional() : s.default(dflt)).describe(what);
};

const num = z.number().nullable();
const evidenceRow = z.object({
  dimension: z.enum(['district', 'school', 'class', 'grade', 'campus']),
  group: z.string().describe("the school, class, grade or campus ('' for the district)"),
  group_n: z.number().int(),
  view: z.enum(['goal', 'tertile']),
  band: z.string(),
  n: z.number().int().nullable().describe('null = hidden (fewer than k students, or complementary suppression)'),
  mean_pre: num,
  mean_post: num,
  growth_mean: num,
  growth_ci_low: num,
  growth_ci_high: num,
  share_met_projected: num,
  suppressed: z.string().nullable().describe('why the band is hidden'),
  usage_coefficient: num.describe('post ~ usage + pre, engaged minutes/week'),
  usage_hc1_ci_low: num,
  usage_hc1_ci_high: num,
  usage_hc1_p: num,
  meets_tier_iii: z.boolean(),
});

export const outcomeEndpoints = [
  defineEndpoint({
    method: 'GET',
    path: '/v1/outcomes/evidence',
    tag: 'outcomes',
    summary: 'Usage of one app against growth on one assessment: dosage bands, regression, ESSA Tier III verdict',
    description:
      'The analysis of `outcomes analyze` (packages/outcomes), one row per group × band; CSV = its `--format csv`. ' +
      `Cells under k students are hidden (k at least ${MIN_PUBLISHED_CELL}); no student-level row. The counts in ` +
      'the meta (students, without_pair, duplicate_records) are null when under k (1 to k − 1).',
    roles: ['admin', 'director'],
    query: z
      .strictObject({
        app: plainId.describe('the app whose usage is measured'),
        assessment: plainId.describe('e.g. map_growth, iready_diagnostic, star'),
        subject: plainId.describe('e.g. math, reading'),
        ...periodQuery,
        goal: whole(1, 10_080, undefined, 'weekly goal in engaged minutes (default 30)'),
        k: whole(MIN_PUBLISHED_CELL, 1000, MIN_PUBLISHED_CELL, `smallest published cell (${MIN_PUBLISHED_CELL}-1000)`),
        min_pair_days: whole(1, 365, undefined, 'least days between a pre and a post test (default 14)'),
        format,
      })
      .superRefine(checkPeriod),
    response: evidenceRow,
    list: true,
    async handle({ principal, query, deps }) {
      const a = await analyze(deps.ch, {
        districtId: principal.district_id,
        app: query.app,
        assessment: query.assessment,
        subject: query.subject,
        from: query.from,
        to: query.to,
        k: query.k,
        ...(query.goal !== undefined ? { goal: query.goal } : {}),
        ...(query.min_pair_days !== undefined ? { minPairDays: query.min_pair_days } : {}),
      });
      const csv = analysisCsvRecords(a);
      // The district's binned scatter (means of bins of at least k students: never a student's point).
      const binned = a.groups.find((g) => g.dimension === 'district')?.binned;
      // JSON says null where the CSV leaves a cell empty.
      const rows = csv.map((r) => Object.fromEntries(Object.entries(r).map(([key, v]) => [key, v === '' ? null : v])));
      return {
        kind: 'list',
        meta: {
          district_id: principal.district_id,
          from: query.from,
          to: query.to,
          k: a.k,
          goal: a.goal,
          students: a.students,
          without_pair: a.withoutPair,
          duplicate_records: a.duplicateRecords,
          hidden_groups: a.hidden,
          cost_note: a.costNote,
          usage_bins: binned?.ok ? binned.value : null,
          usage_bins_note: binned ? (binned.ok ? null : binned.reason) : 'the district group is suppressed',
        },
        rows: rows as z.infer<typeof evidenceRow>[],
        csv: { columns: ANALYSIS_CSV_COLUMNS, records: csv },
      };
    },
  }),
];
