import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { csvStream, META_HEADER, metaHeaderValue } from './csv';
import { Forbidden, NotFound, rowObjects, type ApiDeps, type Endpoint } from './endpoint';

/** zod issues as `{field, message}`, the field prefixed with where it was (query, path, body). */
function issuesOf(error: z.ZodError, where: string) {
  return error.issues.map((i) => ({
    field: [where, ...i.path.map(String)].join('.'),
    message: i.code === 'unrecognized_keys' ? `unknown parameter(s): ${i.keys.join(', ')}` : i.message,
  }));
}

/** `format=csv`, or no format and an Accept header asking for text/csv rather than JSON. */
function wantsCsv(request: FastifyRequest, format: unknown): boolean {
  if (format === 'csv') return true;
  if (format === 'json') return false;
  const accept = request.headers.accept ?? '';
  return /(^|,)\s*text\/csv\b/i.test(accept) && !/(^|,)\s*application\/json\b/i.test(accept);
}

/** `{...meta, rows}` as JSON text, the rows already JSON (spliced in, not parsed and written again). */
function withJsonRows(meta: Record<string, unknown>, rowsJson: string): string {
  const head = JSON.stringify(meta);
  return head === '{}' ? `{"rows":${rowsJson}}` : `${head.slice(0, -1)},"rows":${rowsJson}}`;
}

/**
 * Runs one endpoint for an authorized request: validates query, path and body with its schemas (400
 * naming each field), calls it, and answers JSON, or CSV for a list when asked.
 */
export async function handle(e: Endpoint, request: FastifyRequest, reply: FastifyReply, deps: ApiDeps) {
  const principal = request.principal!;
  const query = e.query.safeParse(request.query ?? {});
  const params = e.params ? e.params.safeParse(request.params ?? {}) : null;
  const body = e.body ? e.body.safeParse(request.body ?? {}) : null;
  const issues = [
    ...(query.success ? [] : issuesOf(query.error, 'query')),
    ...(params && !params.success ? issuesOf(params.error, 'path') : []),
    ...(body && !body.success ? issuesOf(body.error, 'body') : []),
  ];
  if (!e.body && request.body !== undefined && request.body !== null && request.body !== '')
    issues.push({ field: 'body', message: 'this endpoint takes no body' });
  if (issues.length > 0) return reply.code(400).send({ error: 'invalid_request', issues });
  try {
    const result = await e.handle({
      principal,
      query: query.data,
      params: params?.data,
      body: body?.data,
      deps,
    });
    if (result.kind === 'object') return reply.code(result.status ?? 200).send(result.body);
    const format = (query.data as { format?: unknown }).format;
    if (e.list && wantsCsv(request, format)) {
      const rows = (result.csv?.records ?? rowObjects(result.rows)) as Record<string, unknown>[];
      const columns = result.csv?.columns ?? Object.keys((e.response as unknown as z.ZodObject).shape);
      return reply
        .type('text/csv; charset=utf-8')
        .header(META_HEADER, metaHeaderValue(result.meta))
        .send(csvStream(rows, columns, { cliBooleans: result.csv !== undefined }));
    }
    if (Array.isArray(result.rows)) return reply.send({ ...result.meta, rows: result.rows });
    return reply.type('application/json; charset=utf-8').send(withJsonRows(result.meta, result.rows.json));
  } catch (err) {
    if (err instanceof Forbidden) return reply.code(403).send({ error: 'forbidden', message: err.message });
    if (err instanceof NotFound) return reply.code(404).send({ error: 'not_found', message: err.message });
    throw err;
  }
}
