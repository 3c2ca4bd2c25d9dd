import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isObject, parseJsonPayload } from '@edusage/contracts';
import { adaptCaliperBody, adaptNativeItems, type Adapted, type SenderContext } from './adapt';
import type { Answering } from './answer';
import { RequestRefused } from './request-refused';

const NDJSON_TYPES = /^application\/(x-ndjson|ndjson|jsonl|x-jsonlines|jsonlines)\b/i;

export interface EventRouteDeps {
  answering: Answering;
  /** The API key check (onRequest) of every /v1 route. */
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
  /** INGEST_MAX_ITEMS: more items in one request are refused whole (413). */
  maxItems: number;
  /** INGEST_MAX_JSON_DEPTH: deeper JSON is refused before parsing. */
  maxJsonDepth: number;
}

/** POST /v1/events (native: JSON array, one object, or NDJSON) and POST /v1/caliper. */
export function registerEventRoutes(app: FastifyInstance, deps: EventRouteDeps): void {
  const { answering, maxItems } = deps;
  const depth = { maxDepth: deps.maxJsonDepth, depthSetting: 'INGEST_MAX_JSON_DEPTH' };
  const tooMany = (n: number) =>
    new RequestRefused(
      413,
      'too_many_items',
      `the request has ${n} items; at most ${maxItems} per request (INGEST_MAX_ITEMS); split it`,
    );

  /** A JSON body of one of the formats below: 400 + one dead letter when it is not JSON, 413 when too many items. */
  const answerJson = async (request: FastifyRequest, reply: FastifyReply, text: string, format: JsonFormat) => {
    const parsed = parseJsonPayload(text, depth);
    if (!parsed.ok)
      return answering.malformed(request, reply, text, `body is not JSON (${parsed.detail}); ${format.hint}`);
    const n = format.items(parsed.value);
    if (n > maxItems) throw tooMany(n);
    return answering.finish(request, reply, format.adapt(parsed.value, senderOf(request)), (index) => ({ index }));
  };

  app.post('/v1/events', { onRequest: deps.authenticate }, async (request, reply) => {
    const text = bodyText(request);
    if (!NDJSON_TYPES.test(String(request.headers['content-type'] ?? '')))
      return answerJson(request, reply, text, NATIVE);
    const adapted = adaptNdjson(text, senderOf(request), { maxItems, tooMany, depth });
    return answering.finish(request, reply, adapted, (index) => ({ line: index + 1 }));
  });

  app.post('/v1/caliper', { onRequest: deps.authenticate }, async (request, reply) =>
    answerJson(request, reply, bodyText(request), CALIPER),
  );
}

/** How a route reads a JSON body: what to tell a sender whose body is not JSON, its item count, its adapter. */
interface JsonFormat {
  hint: string;
  items(body: unknown): number;
  adapt(body: unknown, sender: SenderContext): Adapted;
}

const NATIVE: JsonFormat = {
  hint: 'send a JSON array, one JSON object, or NDJSON with content-type application/x-ndjson',
  items: (body) => (Array.isArray(body) ? body.length : 1),
  adapt: (body, sender) => adaptNativeItems(Array.isArray(body) ? body : [body], sender),
};

const CALIPER: JsonFormat = {
  hint: 'send a Caliper Envelope or one Caliper event',
  items: (body) =>
    isObject(body) && Array.isArray(body['data']) ? body['data'].length : Array.isArray(body) ? body.length : 1,
  adapt: adaptCaliperBody,
};

/**
 * An NDJSON body, line by line: lines that are not JSON are rejected alone, the rest adapted as native
 * items. Every reject's index is its 0-based line index, in line order.
 */
function adaptNdjson(
  text: string,
  sender: SenderContext,
  limits: { maxItems: number; tooMany(n: number): Error; depth: { maxDepth: number; depthSetting: string } },
): Adapted {
  const items: unknown[] = [];
  const lines: number[] = [];
  const parseRejects: Adapted['rejects'] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    const trimmed = line.trim();
    if (trimmed.length === 0) continue;
    if (items.length + parseRejects.length >= limits.maxItems) throw limits.tooMany(countNonBlankLines(text));
    // The untrimmed line is scanned and kept, as before; JSON.parse ignores the surrounding blanks.
    const parsed = parseJsonPayload(line, { line: lineNo, ...limits.depth });
    if (parsed.ok) {
      items.push(parsed.value);
      lines.push(lineNo);
    } else parseRejects.push({ index: lineNo - 1, payload: line, reason: parsed.reason });
  }
  const adapted = adaptNativeItems(items, sender);
  const rejects = [...parseRejects, ...adapted.rejects.map((r) => ({ ...r, index: lines[r.index ?? 0]! - 1 }))].sort(
    (a, b) => (a.index ?? 0) - (b.index ?? 0),
  );
  return { events: adapted.events, rejects, skipped: adapted.skipped };
}

function bodyText(request: FastifyRequest): string {
  const body = request.body;
  const text = typeof body === 'string' ? body : '';
  if (text.trim().length === 0) throw new RequestRefused(400, 'empty_body', 'the request body is empty');
  return text;
}

function senderOf(request: FastifyRequest): SenderContext {
  return { districtId: request.sender!.district_id, source: request.sender!.source };
}

function countNonBlankLines(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.trim().length > 0) n++;
  return n;
}
