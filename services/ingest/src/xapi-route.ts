import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { findDuplicateKey, isObject, parseJsonPayload, type Rejection } from '@edusage/contracts';
import { adaptXapiBody, type Adapted } from './adapt';
import type { IngestResponse } from './answer';
import {
  XAPI_VERSIONS,
  isUuid,
  negotiateVersion,
  repeatedIds,
  responseVersion,
  statementIdOf,
  statementProblem,
} from './xapi-statement';

export interface XapiRouteDeps {
  /** The API key check of every /v1 route (Bearer, Basic, x-api-key); sets `request.sender`. */
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
  maxItems: number;
  /** Deeper JSON nesting is refused before parsing (INGEST_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
  /** Writes events to usage.raw and rejects to usage.dlq; resolves after Kafka acknowledged both. */
  produce(
    request: FastifyRequest,
    adapted: Adapted,
    position: (index: number) => { index: number },
  ): Promise<IngestResponse>;
  /** An error the server's error handler answers with `statusCode` and `{error: code, message}`. */
  refuse(statusCode: number, code: string, message: string): Error;
}

const WRITE_ONLY = 'this LRS is write-only: it stores statements for usage analytics and serves no reads';
const NOT_SERVED = ['activities/state', 'activities/profile', 'agents/profile', 'activities', 'agents'];

/**
 * The xAPI endpoint (`/v1/xapi/`) as a write-only LRS statements resource, per xAPI 1.0.3 and 2.0:
 *  - GET  about                       `{version: [...]}`, no credentials needed
 *  - POST statements                  one statement or an array → 200 with the statement ids in order
 *  - PUT  statements?statementId=…    one statement → 204
 *  - GET statements → 405; the document and agent/activity resources → 501; other paths → 404.
 * OPTIONS (CORS preflight) → 405: server-to-server only.
 * Every response carries X-Experience-API-Version; statements requests must send it (400 otherwise).
 * A batch with a statement that is not valid xAPI is refused whole (400, nothing stored; the invalid
 * statements are dead-lettered). Valid statements are answered as an LRS must (200/204) whatever
 * they mean: those the meaning table skips (voided, enrolment, grading, …; docs/MEANING.md) are
 * counted in the response header `x-edusage-skipped`, those the adapter refuses are dead-lettered
 * with its reason and counted in `x-edusage-dead-lettered`.
 */
export function xapiRoutes(deps: XapiRouteDeps): FastifyPluginAsync {
  return async (scope) => {
    scope.addHook('onSend', async (request, reply, payload) => {
      reply.header('x-experience-api-version', responseVersion(request.headers['x-experience-api-version']));
      return payload;
    });
    const onRequest = [deps.authenticate, requireVersion];
    scope.get('/about', async () => ({ version: [...XAPI_VERSIONS] }));
    scope.post('/statements', { onRequest }, postStatements(deps));
    scope.put('/statements', { onRequest }, putStatement(deps));
    refuseWhatIsNotServed(scope);
  };
}

/** Statements requests must name an xAPI version this LRS speaks (400 otherwise). */
async function requireVersion(request: FastifyRequest, reply: FastifyReply) {
  const negotiated = negotiateVersion(request.headers['x-experience-api-version']);
  if (!negotiated.ok) return reply.code(400).send({ error: 'bad_xapi_version', message: negotiated.message });
}

/** POST statements: one statement or an array → 200 with the statement ids in order. */
function postStatements(deps: XapiRouteDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    checkTransport(request, deps, []);
    const parsed = await parseStatements(request, deps);
    if (!parsed.ok) return reply.code(400).send(parsed.body);
    const statements = parsed.statements;
    if (statements.length > deps.maxItems)
      throw deps.refuse(
        413,
        'too_many_items',
        `the request has ${statements.length} statements; at most ${deps.maxItems} per request (INGEST_MAX_ITEMS); split it`,
      );
    const stored = await storeStatements(request, deps, statements);
    if (!stored.ok) return reply.code(400).send(stored.refused);
    return withCounts(reply.code(200), stored).send(statements.map((s) => statementIdOf(s as Record<string, unknown>)));
  };
}

/** PUT statements?statementId=…: one statement, stored under statementId → 204. */
function putStatement(deps: XapiRouteDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    checkTransport(request, deps, ['statementId']);
    const statementId = (request.query as Record<string, unknown>)['statementId'];
    if (!isUuid(statementId))
      return reply.code(400).send({
        error: 'bad_statement_id',
        message: 'PUT statements needs the statementId parameter, a UUID (or POST the statement instead)',
      });
    const parsed = await parseStatements(request, deps);
    if (!parsed.ok) return reply.code(400).send(parsed.body);
    if (!parsed.single)
      return reply
        .code(400)
        .send({ error: 'not_a_statement', message: 'PUT statements takes one statement object; POST arrays' });
    const body = parsed.statements[0];
    const givenId = isObject(body) ? body['id'] : undefined;
    if (givenId !== undefined && String(givenId).toLowerCase() !== statementId.toLowerCase())
      return reply.code(400).send({
        error: 'id_mismatch',
        message: `the statement id ${String(givenId)} differs from the statementId parameter ${statementId}`,
      });
    // The statement is stored under statementId (a non-object is refused below as it is).
    const statement = isObject(body) ? { ...body, id: givenId ?? statementId } : body;
    const stored = await storeStatements(request, deps, [statement]);
    if (!stored.ok) return reply.code(400).send(stored.refused);
    return withCounts(reply.code(204), stored).send();
  };
}

type Stored = { ok: true; deadLettered: number; skipped: number } | { ok: false; refused: ErrorBody };

/** Writes a batch of statements, or refuses it whole when one is not valid xAPI. */
async function storeStatements(request: FastifyRequest, deps: XapiRouteDeps, statements: unknown[]): Promise<Stored> {
  const refused = await refuseInvalid(request, deps, statements);
  if (refused) return { ok: false, refused };
  const adapted = adaptXapiBody(statements, senderOf(request), new Date());
  const result = await deps.produce(request, adapted, byIndex);
  return { ok: true, deadLettered: result.rejected.length, skipped: adapted.skipped.length };
}

/** An LRS answers valid statements 200/204 whatever they mean; these headers say what was not stored of them. */
function withCounts(reply: FastifyReply, stored: { deadLettered: number; skipped: number }): FastifyReply {
  return reply
    .header('x-edusage-dead-lettered', String(stored.deadLettered))
    .header('x-edusage-skipped', String(stored.skipped));
}

/** The rest of an LRS's resources, which a write-only one answers with a refusal that says why. */
function refuseWhatIsNotServed(scope: FastifyInstance): void {
  scope.get('/statements', async (_request, reply) =>
    reply
      .code(405)
      .header('allow', 'POST, PUT')
      .send({
        error: 'method_not_allowed',
        message: `${WRITE_ONLY}; statements can be sent (POST, PUT), not read back`,
      }),
  );

  for (const resource of NOT_SERVED) {
    scope.all(`/${resource}`, async (_request, reply) =>
      reply.code(501).send({
        error: 'not_implemented',
        message: `${WRITE_ONLY}; the ${resource} resource is not served (only about and statements)`,
      }),
    );
  }

  // No CORS: a source key must not be shipped to learners' browsers. Browser content (SCORM, cmi5)
  // reports to the LMS's own LRS, which forwards to this endpoint server to server.
  scope.options('/*', async (_request, reply) =>
    reply.code(405).send({
      error: 'cors_not_supported',
      message:
        'this LRS takes statements from servers (an LMS or an LRS forwarder), not from browsers: there is no CORS, and a source API key must not reach a browser',
    }),
  );

  scope.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({
      error: 'not_found',
      message: `${request.method} ${request.url} is not an xAPI resource of this LRS (about, statements)`,
    }),
  );
}

const byIndex = (index: number) => ({ index });

function senderOf(request: FastifyRequest) {
  return { districtId: request.sender!.district_id, source: request.sender!.source };
}

/**
 * Refuses what this LRS does not take before reading the body: attachments (multipart/mixed), the
 * alternate request syntax (form bodies, `method=`), and query parameters other than `allowed`
 * (xAPI: an LRS rejects parameters it does not recognise).
 */
function checkTransport(request: FastifyRequest, deps: XapiRouteDeps, allowed: string[]): void {
  const type = String(request.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('multipart/'))
    throw deps.refuse(
      415,
      'attachments_not_supported',
      'statements with attachments (multipart/mixed) are not taken; send the statements as application/json (attachments may point to a fileUrl)',
    );
  const unknown = Object.keys(request.query as Record<string, unknown>).filter((p) => !allowed.includes(p));
  if (unknown.length > 0)
    throw deps.refuse(
      400,
      'unknown_parameter',
      `parameter ${unknown.join(', ')} is not taken here${unknown.includes('method') ? ' (the alternate request syntax is not supported)' : ''}`,
    );
}

/** A 400 answer's body: what is wrong, and the dead letters written for it. */
interface ErrorBody {
  error: string;
  message: string;
  rejected?: IngestResponse['rejected'];
}

type Parsed = { ok: true; statements: unknown[]; single: boolean } | { ok: false; body: ErrorBody };

/** The body as a list of statements; a body that is not JSON, or has a duplicated key, is dead-lettered whole. */
async function parseStatements(request: FastifyRequest, deps: XapiRouteDeps): Promise<Parsed> {
  const text = typeof request.body === 'string' ? request.body : '';
  if (text.trim().length === 0) throw deps.refuse(400, 'empty_body', 'the request body is empty');
  const parsed = parseJsonPayload(text, { maxDepth: deps.maxJsonDepth, depthSetting: 'INGEST_MAX_JSON_DEPTH' });
  if (!parsed.ok) {
    const message = `body is not JSON (${parsed.detail}); send one xAPI statement or an array of them`;
    await deadLetterWhole(request, deps, text, { code: 'malformed_json', message });
    return { ok: false, body: { error: 'malformed_json', message } };
  }
  const value = parsed.value;
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) {
    const reason = {
      code: 'invalid_field' as const,
      field: duplicate,
      message: `${duplicate}: the key appears more than once`,
    };
    await deadLetterWhole(request, deps, value, reason);
    return { ok: false, body: { error: 'invalid_statements', message: reason.message } };
  }
  return Array.isArray(value)
    ? { ok: true, statements: value, single: false }
    : { ok: true, statements: [value], single: true };
}

async function deadLetterWhole(
  request: FastifyRequest,
  deps: XapiRouteDeps,
  payload: unknown,
  reason: Rejection['reason'],
): Promise<void> {
  await deps.produce(request, { events: [], rejects: [{ index: 0, payload, reason }], skipped: [] }, byIndex);
}

/**
 * xAPI: an LRS rejects a batch whole if any statement in it is invalid, or if two share an id. The
 * invalid statements are dead-lettered (so the operator sees what an emitter sends); the valid ones
 * are neither stored nor dead-lettered: the client still has them and is told to send them again.
 */
async function refuseInvalid(
  request: FastifyRequest,
  deps: XapiRouteDeps,
  statements: unknown[],
): Promise<ErrorBody | null> {
  const rejects: Rejection[] = [];
  statements.forEach((statement, index) => {
    const reason = statementProblem(statement);
    if (reason) rejects.push({ index, payload: statement, reason });
  });
  for (const { index, first, id } of repeatedIds(statements)) {
    if (rejects.some((r) => r.index === index)) continue;
    rejects.push({
      index,
      payload: statements[index],
      reason: {
        code: 'invalid_field',
        field: 'id',
        message: `id: ${id} is also the id of statement ${first} of this batch`,
      },
    });
  }
  if (rejects.length === 0) return null;
  rejects.sort((a, b) => a.index! - b.index!);
  const { rejected } = await deps.produce(request, { events: [], rejects, skipped: [] }, byIndex);
  const valid = statements.length - rejects.length;
  return {
    error: 'invalid_statements',
    message:
      `${rejects.length} of ${statements.length} statement(s) are not valid xAPI (${rejected[0]!.reason.message}); ` +
      `an LRS refuses such a batch whole, so nothing of it was stored` +
      (valid > 0 ? `: fix or remove the invalid statement(s) and send the other ${valid} again` : ''),
    rejected,
  };
}
