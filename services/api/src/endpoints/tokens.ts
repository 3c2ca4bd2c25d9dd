import { z } from 'zod';
import { defineEndpoint, NotFound } from '../endpoint';
import { plainId } from '../params';
import { ROLES, type TokenEntry } from '../tokens';

const tokenRow = z.object({
  token_id: z.string(),
  role: z.enum(ROLES),
  school_id: z.string(),
  name: z.string(),
  created_at: z.string(),
});
const shown = ({ token_id, role, school_id, name, created_at }: TokenEntry) => ({
  token_id,
  role,
  school_id,
  name,
  created_at,
});

export const tokenEndpoints = [
  defineEndpoint({
    method: 'GET',
    path: '/v1/tokens',
    tag: 'tokens',
    summary: "The district's API tokens (ids, never the tokens)",
    roles: ['admin'],
    query: z.strictObject({ format: z.enum(['json', 'csv']).optional() }),
    response: tokenRow,
    list: true,
    async handle({ principal, deps }) {
      const rows = (await deps.tokens.list(principal.district_id)).map(shown);
      return { kind: 'list', meta: { district_id: principal.district_id }, rows };
    },
  }),
  defineEndpoint({
    method: 'POST',
    path: '/v1/tokens',
    tag: 'tokens',
    summary: 'Creates a token of this district; the answer shows it once',
    roles: ['admin'],
    query: z.strictObject({}),
    body: z
      .strictObject({
        role: z.enum(ROLES),
        name: z
          .string()
          .min(1)
          .max(200)
          .refine((n) => ![...n].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127), 'no control characters'),
        school_id: plainId.optional().describe('required for role school, refused otherwise'),
      })
      .refine((b) => (b.role === 'school') === (b.school_id !== undefined), {
        path: ['school_id'],
        message: 'is required for role school and refused for the other roles',
      }),
    response: tokenRow.extend({ token: z.string().describe('shown once; only its hash is stored') }),
    list: false,
    async handle({ principal, body, deps }) {
      const { token, entry } = await deps.tokens.create({
        districtId: principal.district_id,
        role: body.role,
        ...(body.school_id !== undefined ? { schoolId: body.school_id } : {}),
        name: body.name,
        now: deps.now(),
      });
      return { kind: 'object', status: 201, body: { ...shown(entry), token } };
    },
  }),
  defineEndpoint({
    method: 'DELETE',
    path: '/v1/tokens/:id',
    tag: 'tokens',
    summary: 'Revokes a token of this district (takes effect within API_TOKEN_CACHE_MS on other processes)',
    roles: ['admin'],
    query: z.strictObject({}),
    params: z.strictObject({ id: z.string().regex(/^[0-9a-f]{12}$/, 'must be a token id (12 hex digits)') }),
    response: z.object({ revoked: z.string() }),
    list: false,
    async handle({ principal, params, deps }) {
      const removed = await deps.tokens.revoke(params.id, principal.district_id);
      if (!removed) throw new NotFound('no such token in this district');
      return { kind: 'object', body: { revoked: removed.token_id } };
    },
  }),
];
