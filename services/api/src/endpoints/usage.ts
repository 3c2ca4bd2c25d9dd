import { z } from 'zod';
import {
  CAMPUS_VALUES,
  campusUsage,
  classAppUsageListing,
  districtAppUsageListing,
  schoolAppUsageListing,
  weeklyDistrictUsage,
} from '@edusage/reports';
import { defineEndpoint } from '../endpoint';
import { periodMeta, readAs, readFreshness } from '../freshness';
import { checkPeriod, format, freshness, periodQuery, plainId } from '../params';
import { defined, schoolScope } from './scope';

const measures = {
  app_id: z.string(),
  active_users: z.number().int().describe('distinct people with an event in the period'),
  events: z.number().int(),
  engaged_seconds: z
    .number()
    .int()
    .describe('explicit durations + 60 s per distinct person × app × minute of hit-style events'),
  active_days: z.number().int().describe('district-local days with use'),
};

const appFilter = plainId.optional().describe('only this app');
const schoolFilter = plainId.optional().describe('only this school (a school token: its own school only)');

export const usageEndpoints = [
  defineEndpoint({
    method: 'GET',
    path: '/v1/usage/district',
    tag: 'usage',
    summary: 'District × app usage over a period',
    roles: ['admin', 'director'],
    query: z.strictObject({ ...periodQuery, app: appFilter, freshness, format }).superRefine(checkPeriod),
    response: z.object(measures),
    list: true,
    async handle({ principal, query, deps }) {
      const period = { districtId: principal.district_id, from: query.from, to: query.to };
      const fresh = await readFreshness(deps, query.freshness);
      const rows = await districtAppUsageListing(deps.ch, period, defined({ appId: query.app }), readAs(fresh));
      return { kind: 'list', meta: periodMeta(period, fresh), rows };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/usage/schools',
    tag: 'usage',
    summary: "School × app usage over a period ('' = events attributed to no school)",
    roles: ['admin', 'director', 'school'],
    query: z
      .strictObject({ ...periodQuery, school: schoolFilter, app: appFilter, freshness, format })
      .superRefine(checkPeriod),
    response: z.object({ school_id: z.string(), ...measures }),
    list: true,
    async handle({ principal, query, deps }) {
      const period = { districtId: principal.district_id, from: query.from, to: query.to };
      const schoolId = schoolScope(principal, query.school);
      const fresh = await readFreshness(deps, query.freshness);
      const rows = await schoolAppUsageListing(deps.ch, period, defined({ schoolId, appId: query.app }), readAs(fresh));
      return { kind: 'list', meta: periodMeta(period, fresh), rows };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/usage/classes',
    tag: 'usage',
    summary: 'Class × app usage over a period (events attributed to a class)',
    roles: ['admin', 'director', 'school'],
    query: z
      .strictObject({
        ...periodQuery,
        school: schoolFilter,
        class: plainId.optional().describe('only this class'),
        app: appFilter,
        freshness,
        format,
      })
      .superRefine(checkPeriod),
    response: z.object({ school_id: z.string(), class_id: z.string(), ...measures }),
    list: true,
    async handle({ principal, query, deps }) {
      const period = { districtId: principal.district_id, from: query.from, to: query.to };
      const schoolId = schoolScope(principal, query.school);
      const fresh = await readFreshness(deps, query.freshness);
      const filter = defined({ schoolId, classId: query.class, appId: query.app });
      const rows = await classAppUsageListing(deps.ch, period, filter, readAs(fresh));
      return { kind: 'list', meta: periodMeta(period, fresh), rows };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/usage/weekly',
    tag: 'usage',
    summary: 'District-wide usage per week: distinct people across all apps, events, engaged seconds',
    description:
      'Weeks of 7 days ending on `to` (the first one cut at `from`), every week of the period, oldest first. ' +
      'Active users are distinct people over the whole week and all apps (merged uniqExact states, never a sum ' +
      'of daily or per-app counts); engaged seconds are summed over apps.',
    roles: ['admin', 'director'],
    query: z.strictObject({ ...periodQuery, freshness, format }).superRefine(checkPeriod),
    response: z.object({
      week_from: z.string(),
      week_to: z.string(),
      active_users: z.number().int().describe('distinct people with an event in the week, any app'),
      events: z.number().int(),
      engaged_seconds: z.number().int(),
    }),
    list: true,
    async handle({ principal, query, deps }) {
      const period = { districtId: principal.district_id, from: query.from, to: query.to };
      const fresh = await readFreshness(deps, query.freshness);
      const rows = await weeklyDistrictUsage(deps.ch, period, readAs(fresh));
      return { kind: 'list', meta: periodMeta(period, fresh), rows };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/usage/campus',
    tag: 'usage',
    summary: 'Events and engaged seconds of a period on campus, off campus and unknown, with their shares',
    description:
      'Read from the stored events (the rollups have no campus dimension): the current version of each event, ' +
      'counted once, so the three rows add up to the events of /v1/usage/district read live (`freshness=live`; as of ' +
      'the compactions that leaves out what was folded since). A minute of hits both on ' +
      'and off campus counts in both rows of engaged seconds.',
    roles: ['admin', 'director'],
    query: z.strictObject({ ...periodQuery, format }).superRefine(checkPeriod),
    response: z.object({
      campus: z.enum(CAMPUS_VALUES).describe("the network the event came from ('unknown' = not said or not matched)"),
      events: z.number().int(),
      engaged_seconds: z.number().int(),
      events_share: z.number().nullable().describe("share of the period's events (null: no events)"),
      engaged_share: z.number().nullable().describe("share of the three rows' engaged seconds (null: none)"),
    }),
    list: true,
    async handle({ principal, query, deps }) {
      const period = { districtId: principal.district_id, from: query.from, to: query.to };
      const counts = await campusUsage(deps.ch, period);
      const totalEvents = counts.reduce((t, r) => t + r.events, 0);
      const totalSeconds = counts.reduce((t, r) => t + r.engaged_seconds, 0);
      const rows = counts.map((r) => ({
        ...r,
        events_share: totalEvents > 0 ? r.events / totalEvents : null,
        engaged_share: totalSeconds > 0 ? r.engaged_seconds / totalSeconds : null,
      }));
      return { kind: 'list', meta: { district_id: period.districtId, from: period.from, to: period.to }, rows };
    },
  }),
];
