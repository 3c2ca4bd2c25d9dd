import { z } from 'zod';
import { classAppUsage, districtAppUsage, schoolAppUsage } from '@edusage/reports';
import { defineEndpoint } from '../endpoint';
import { checkPeriod, format, periodQuery, plainId } from '../params';
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
    query: z.strictObject({ ...periodQuery, app: appFilter, format }).superRefine(checkPeriod),
    response: z.object(measures),
    list: true,
    async handle({ principal, query, deps }) {
      const period = { districtId: principal.district_id, from: query.from, to: query.to };
      const rows = await districtAppUsage(deps.ch, period, defined({ appId: query.app }));
      return { kind: 'list', meta: { district_id: period.districtId, from: period.from, to: period.to }, rows };
    },
  }),
  defineEndpoint({
    method: 'GET',
    path: '/v1/usage/schools',
    tag: 'usage',
    summary: "School × app usage over a period ('' = events attributed to no school)",
    roles: ['admin', 'director', 'school'],
    query: z.strictObject({ ...periodQuery, school: schoolFilter, app: appFilter, format }).superRefine(checkPeriod),
    response: z.object({ school_id: z.string(), ...measures }),
    list: true,
    async handle({ principal, query, deps }) {
      const period = { districtId: principal.district_id, from: query.from, to: query.to };
      const schoolId = schoolScope(principal, query.school);
      const rows = await schoolAppUsage(deps.ch, period, defined({ schoolId, appId: query.app }));
      return { kind: 'list', meta: { district_id: period.districtId, from: period.from, to: period.to }, rows };
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
        format,
      })
      .superRefine(checkPeriod),
    response: z.object({ school_id: z.string(), class_id: z.string(), ...measures }),
    list: true,
    async handle({ principal, query, deps }) {
      const period = { districtId: principal.district_id, from: query.from, to: query.to };
      const schoolId = schoolScope(principal, query.school);
      const rows = await classAppUsage(deps.ch, period, defined({ schoolId, classId: query.class, appId: query.app }));
      return { kind: 'list', meta: { district_id: period.districtId, from: period.from, to: period.to }, rows };
    },
  }),
];
