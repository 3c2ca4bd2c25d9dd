import { z } from 'zod';
import { defineEndpoint } from '../endpoint';
import type { DistrictNames } from '../names';
import type { Principal } from '../tokens';
import { format } from '../params';

/** One named id of the district. */
interface NameRow {
  kind: 'school' | 'class' | 'app';
  id: string;
  name: string;
  /** A class's school ('' for schools and apps). */
  school_id: string;
}

export const nameEndpoints = [
  defineEndpoint({
    method: 'GET',
    path: '/v1/names',
    tag: 'names',
    summary: "What the district's school, class and app ids are called",
    description:
      'School names and class titles from the current roster, app names from the app catalog (shipped and the ' +
      "district's own). Ids without a name are not listed. A school token gets its own school and classes.",
    roles: ['admin', 'director', 'school'],
    query: z.strictObject({ format }),
    response: z.object({
      kind: z.enum(['school', 'class', 'app']),
      id: z.string(),
      name: z.string(),
      school_id: z.string().describe("a class's school; empty for schools and apps"),
    }),
    list: true,
    async handle({ principal, deps }) {
      const names = visibleNames(await deps.names(principal.district_id), principal);
      return { kind: 'list', meta: { district_id: principal.district_id }, rows: nameRows(names) };
    },
  }),
];

/** What a principal may see of the district's names: a school token, its school and its classes. */
export function visibleNames(names: DistrictNames, principal: Principal): DistrictNames {
  if (principal.role !== 'school') return names;
  const own = principal.school_id;
  return {
    schools: new Map([...names.schools].filter(([id]) => id === own)),
    classes: new Map([...names.classes].filter(([, c]) => c.schoolId === own)),
    apps: names.apps,
  };
}

function nameRows(names: DistrictNames): NameRow[] {
  const byId = (a: NameRow, b: NameRow) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return [
    ...[...names.schools].map(([id, name]): NameRow => ({ kind: 'school', id, name, school_id: '' })).sort(byId),
    ...[...names.classes]
      .map(([id, c]): NameRow => ({ kind: 'class', id, name: c.title, school_id: c.schoolId }))
      .sort(byId),
    ...[...names.apps].map(([id, name]): NameRow => ({ kind: 'app', id, name, school_id: '' })).sort(byId),
  ];
}
