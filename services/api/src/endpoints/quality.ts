import { z } from 'zod';
import { rosterImports } from '@edusage/enrich';
import { inventoryImports } from '@edusage/licenses';
import { deadLetterDaily, deadLetterSummary, districtFreshness, unresolvedSummary } from '@edusage/reports';
import { compactionStatus } from '@edusage/rollups';
import { defineEndpoint } from '../endpoint';
import { freshnessMeta, periodMeta, readAs, readFreshness, utc } from '../freshness';
import { checkPeriod, format, freshness, periodQuery } from '../params';

const limit = (max: number, dflt: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be 1 to ${max}`)
    .default(dflt)
    .describe(`most rows (1-${max}, default ${dflt})`);

export const qualityEndpoints = [
  defineEndpoint({
    method: 'GET',
    path: '/v1/unresolved',
    tag: 'data quality',
    summary: 'Events of people not in the roster, of apps not in the catalog, and with no school (counts, no people)',
    roles: ['admin', 'director'],
    query: z.strictObject({ ...periodQuery, freshness }).superRefine(checkPeriod),
    response: z.object({
      district_id: z.string(),
      from: z.string(),
      to: z.string(),
      ...freshnessMeta.shape,
      total_events: z.number().int(),
      unresolved_person_events: z.number().int(),
      unresolved_app_events: z.number().int(),
      unattributed_school_events: z.number().int(),
    }),
    list: false,
    async handle({ principal, query, deps }) {
      const period = { districtId: principal.district_id, from: query.from, to: query.to };
      const fresh = await readFreshness(deps, query.freshness);
      const { top_unresolved_apps: _apps, ...totals } = await unresolvedSummary(deps.ch, period, {}, readAs(fresh));
      return {
        kind: 'object',
        body: { ...periodMeta(period, fresh), ...totals },
      };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/unresolved/apps',
    tag: 'data quality',
    summary: 'Unresolved apps (`domain:<host>` or an app_id the catalog lacks) by unresolved events, most first',
    description:
      "`active_users` counts the app's people over all its events, resolved ones included: an app id that a catalog import resolved during the period has both kinds, and the rollups keep no count of the people of the unresolved events alone.",
    roles: ['admin', 'director'],
    query: z.strictObject({ ...periodQuery, limit: limit(1000, 100), freshness, format }).superRefine(checkPeriod),
    response: z.object({
      app_id: z.string(),
      events: z.number().int().describe("the app's unresolved events in the period"),
      // Name kept for compatibility; what it counts is in its description.
      active_users: z
        .number()
        .int()
        .describe("the app's distinct people over all its events in the period, resolved ones included"),
    }),
    list: true,
    async handle({ principal, query, deps }) {
      const period = { districtId: principal.district_id, from: query.from, to: query.to };
      const fresh = await readFreshness(deps, query.freshness);
      const summary = await unresolvedSummary(deps.ch, period, { topApps: query.limit }, readAs(fresh));
      return {
        kind: 'list',
        meta: periodMeta(period, fresh),
        rows: summary.top_unresolved_apps,
      };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/dead-letters',
    tag: 'data quality',
    summary: 'Rejected inputs of the district by stage, source and reason (a re-sent bad input counts once)',
    description: "Letters whose district could not be read are not shown: they may be another district's input.",
    roles: ['admin', 'director'],
    query: z.strictObject({ format }),
    response: z.object({ stage: z.string(), source: z.string(), reason_code: z.string(), count: z.number().int() }),
    list: true,
    async handle({ principal, deps }) {
      const rows = await deadLetterSummary(deps.ch, principal.district_id, { includeUnattributed: false });
      return { kind: 'list', meta: { district_id: principal.district_id }, rows };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/dead-letters/daily',
    tag: 'data quality',
    summary:
      'Rejected inputs of the district per UTC day, stage, source and reason (each input on the day it was first rejected)',
    description:
      'Days are UTC days of the rejection (a dead letter has no district-local day). A re-sent bad input counts once, on its first day, so all days add up to /v1/dead-letters. Letters whose district could not be read are not shown.',
    roles: ['admin', 'director'],
    query: z.strictObject({ ...periodQuery, format }).superRefine(checkPeriod),
    response: z.object({
      day: z.string(),
      stage: z.string(),
      source: z.string(),
      reason_code: z.string(),
      count: z.number().int(),
    }),
    list: true,
    async handle({ principal, query, deps }) {
      const rows = await deadLetterDaily(deps.ch, principal.district_id, { from: query.from, to: query.to });
      return { kind: 'list', meta: { district_id: principal.district_id, from: query.from, to: query.to }, rows };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/imports',
    tag: 'data quality',
    summary: 'Roster, license and approval imports of the district, newest first (current = in use)',
    roles: ['admin', 'director'],
    query: z.strictObject({ limit: limit(100, 10), format }),
    response: z.object({
      kind: z.enum(['roster', 'licenses', 'approvals']),
      version: z.string(),
      imported_at: z.string(),
      current: z.boolean(),
      accepted_rows: z.number().int().describe('roster: people; inventory: accepted rows'),
      rejected_rows: z.number().int().nullable().describe('inventory only'),
      detail: z.string().describe('roster: format and counts; inventory: source file'),
    }),
    list: true,
    async handle({ principal, query, deps }) {
      // `limit` of each list (the inventory's per kind): the newest `limit` of all are among them.
      const [roster, inventory] = await Promise.all([
        rosterImports(deps.ch, principal.district_id, query.limit),
        inventoryImports(deps.ch, principal.district_id, query.limit),
      ]);
      const rows = [
        ...roster.map((r) => ({
          kind: 'roster' as const,
          version: r.roster_version,
          imported_at: r.imported_at,
          current: r.current,
          accepted_rows: r.people,
          rejected_rows: null,
          detail: `${r.oneroster_version}: ${r.orgs} orgs, ${r.classes} classes, ${r.people} people, ${r.enrollments} enrollments`,
        })),
        ...inventory.map((r) => ({
          kind: r.kind,
          version: r.version,
          imported_at: r.imported_at,
          current: r.current,
          accepted_rows: r.accepted_rows,
          rejected_rows: r.rejected_rows,
          detail: r.source_file,
        })),
      ]
        // Newest first over all kinds (same-width UTC times: text order is time order; sort is stable).
        .sort((a, b) => (a.imported_at < b.imported_at ? 1 : a.imported_at > b.imported_at ? -1 : 0))
        .slice(0, query.limit);
      return { kind: 'list', meta: { district_id: principal.district_id }, rows };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/pipeline/lag',
    tag: 'data quality',
    summary: "Pipeline lag: messages not yet consumed per Kafka group, and the district's newest stored event",
    description:
      'Kafka lag is deployment-wide (message counts of all districts, no content); shown to admin tokens only.',
    roles: ['admin'],
    query: z.strictObject({}),
    response: z.object({
      district_id: z.string(),
      groups: z
        .array(z.object({ group: z.string(), topics: z.array(z.string()), lag: z.number().int() }))
        .describe('empty when Kafka could not be asked (kafka_error)'),
      kafka_error: z
        .string()
        .nullable()
        .describe("why the groups' lag could not be read (broker down, a topic missing); the rest still is"),
      events: z.number().int(),
      last_stored_at: z.string(),
      last_occurred_at: z.string(),
      seconds_since_last_stored: z.number().nullable(),
      rollup_compaction: z
        .object({
          last_checked_at: z
            .string()
            .nullable()
            .describe('UTC, when the last compaction run took its marks (null: none yet); deployment-wide'),
          seconds_since_checked: z
            .number()
            .nullable()
            .describe('much more than ROLLUP_COMPACTION_MINUTES: the jobs service is not compacting'),
          months_not_compacted: z.array(z.number().int()).describe('YYYYMM with rollups and no compaction yet'),
        })
        .describe('whether the rollup compaction (reads as of the compactions, faster reports) keeps up'),
    }),
    list: false,
    async handle({ principal, deps }) {
      // Kafka's answer apart: the district's newest event and the compaction are worth having without it.
      const lag = deps.pipelineLag().then(
        (groups) => ({ groups, kafka_error: null }),
        (err: unknown) => ({ groups: [], kafka_error: `Kafka lag unavailable: ${(err as Error).message}` }),
      );
      const [kafka, fresh, compaction] = await Promise.all([
        lag,
        districtFreshness(deps.ch, principal.district_id),
        compactionStatus(deps.ch),
      ]);
      const secondsSince = (at: string) => Math.max(0, (deps.now().getTime() - Date.parse(at)) / 1000);
      const checkedAt = compaction.lastCheckedAt === null ? null : utc(compaction.lastCheckedAt);
      return {
        kind: 'object',
        body: {
          district_id: principal.district_id,
          ...kafka,
          ...fresh,
          seconds_since_last_stored: fresh.last_stored_at === '' ? null : secondsSince(fresh.last_stored_at),
          rollup_compaction: {
            last_checked_at: checkedAt,
            seconds_since_checked: checkedAt === null ? null : secondsSince(checkedAt),
            months_not_compacted: compaction.monthsNotCompacted,
          },
        },
      };
    },
  }),
];
