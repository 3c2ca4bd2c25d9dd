import { z } from 'zod';
import type { Endpoint } from './endpoint';
import { freshnessMeta } from './freshness';
import { META_HEADER } from './csv';

type JsonSchema = Record<string, unknown>;

/** JSON Schema (2020-12, what OpenAPI 3.1 uses) of what a client sends or receives. */
const schemaOf = (s: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const errorSchema: JsonSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    issues: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  required: ['error'],
};

function parameters(e: Endpoint): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', e.params],
    ['query', e.query],
  ] as const) {
    if (!schema) continue;
    const obj = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, s] of Object.entries(obj.properties ?? {})) {
      const { description, ...rest } = s;
      out.push({
        name,
        in: where,
        required: where === 'path' || (obj.required ?? []).includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  return out;
}

function okResponse(e: Endpoint): JsonSchema {
  const row = schemaOf(e.response, 'output');
  if (!e.list) return { description: 'OK', content: { 'application/json': { schema: row } } };
  // An endpoint that takes `freshness` says in its answer which it read (freshness.ts).
  const takesFreshness = 'freshness' in e.query.shape;
  const fresh = takesFreshness ? (schemaOf(freshnessMeta, 'output').properties as JsonSchema) : {};
  return {
    description:
      'OK: the rows and what they cover (district, period); `format=csv` or `Accept: text/csv` gives the rows as CSV',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: { district_id: { type: 'string' }, ...fresh, rows: { type: 'array', items: row } },
          required: ['district_id', ...(takesFreshness ? ['freshness'] : []), 'rows'],
          additionalProperties: true,
        },
      },
      'text/csv': { schema: { type: 'string' } },
    },
    headers: {
      [META_HEADER]: {
        description:
          "CSV answers: the JSON answer's fields beside `rows` (district, period, freshness…) as JSON, non-ASCII escaped",
        schema: { type: 'string' },
      },
    },
  };
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The OpenAPI 3.1 document of the endpoints, from the zod schemas that validate their requests. */
export function openApiDocument(endpoints: readonly Endpoint[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const e of endpoints) {
    const path = e.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const op: JsonSchema = {
      operationId: `${e.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: e.summary,
      description: `${e.description ? `${e.description}\n\n` : ''}Roles: ${e.roles.join(', ')}.`,
      tags: [e.tag],
      'x-roles': e.roles,
      parameters: parameters(e),
      ...(e.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(e.body, 'input') } } } }
        : {}),
      responses: {
        [e.method === 'POST' ? '201' : '200']: okResponse(e),
        '400': errorResponse('a parameter is invalid or unknown (issues name each field)'),
        '401': errorResponse('no valid token'),
        '403': errorResponse("the token's role or scope does not allow this"),
        ...(e.params ? { '404': errorResponse('not found in this district') } : {}),
        '429': errorResponse('rate limit reached (per token; per IP without a valid token)'),
        '503': errorResponse('a backing service is unavailable'),
      },
    };
    (paths[path] ??= {})[e.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'edusage API',
      version: '1',
      description:
        'Usage, license, data-quality and research reports of one district. Every call needs `Authorization: Bearer <token>`; the token decides district, role and scope.',
    },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
