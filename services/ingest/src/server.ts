import { randomUUID } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  deadLetterBuilder,
  stageResultsOf,
  parseJsonPayload,
  requestItemOrigin,
  userPartitionKey,
  type DeadLetter,
  type RawMessage,
} from '@edusage/contracts';
import type { JsonMessage } from '@edusage/kafka';
import type { Logger } from '@edusage/logging';
import { presentedCredentials, type ApiKeyRecord, type KeyResolver } from './apikeys';
import { adaptCaliperBody, adaptNativeItems, type Adapted, type SenderContext } from './adapt';
import { SERVER_LIMIT_DEFAULTS, type IngestConfig } from './config';
import { limitRequestsInFlight } from './in-flight';
import { createMetrics, type IngestMetrics } from './metrics';
import { KafkaUnavailableError, MessageTooLargeError, type EventSink } from './sink';
import { xapiRoutes } from './xapi-route';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated sender (set by the API key check on every /v1 route). */
    sender?: ApiKeyRecord;
  }
}

/** Request limits of the HTTP server; the ones not given take their documented defaults. */
type ServerLimits = Pick<
  IngestConfig,
  | 'INGEST_REQUEST_TIMEOUT_MS'
  | 'INGEST_HEADERS_TIMEOUT_MS'
  | 'INGEST_IDLE_TIMEOUT_MS'
  | 'INGEST_KEEP_ALIVE_TIMEOUT_MS'
  | 'INGEST_MAX_CONCURRENT_REQUESTS'
  | 'INGEST_MAX_JSON_DEPTH'
>;

export interface ServerDeps {
  config: { INGEST_MAX_BODY_BYTES: number; INGEST_MAX_ITEMS: number } & Partial<ServerLimits>;
  logger: Logger;
  keys: KeyResolver;
  sink: EventSink;
  metrics?: IngestMetrics;
  /** Readiness probes for /readyz (each should answer within a few seconds). */
  readiness?: { kafka(): Promise<boolean>; redis(): Promise<boolean> };
  /** How long a Kafka readiness answer is reused (default 5 s). */
  readinessCacheMs?: number;
  /** True once the service's stop has begun: /readyz answers 503 `stopping` whatever the probes say. */
  stopping?: () => boolean;
}

/** One item of the `rejected` list in a response: where (array index or NDJSON line) and why. */
export interface RejectedItem {
  index?: number;
  line?: number;
  /** `code` is one of the reason codes of packages/contracts (RejectReason). */
  reason: { code: string; message: string; field?: string };
}

export interface IngestResponse {
  accepted: number;
  rejected: RejectedItem[];
  /** Valid items that carry no usage (e.g. Caliper entity descriptions in an envelope): neither accepted nor dead-lettered. */
  skipped: number;
}

const RETRY_AFTER_SECONDS = '5';
const BASIC_CHALLENGE = 'Basic realm="edusage", charset="UTF-8"';
const NDJSON_TYPES = /^application\/(x-ndjson|ndjson|jsonl|x-jsonlines|jsonlines)\b/i;

/** Too many items, or bad transport framing: refused as a whole, before any event is looked at. */
class RequestRefused extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Builds the ingest HTTP app (not listening yet: call `listen`, or use `inject` in tests).
 *
 * Routes (all /v1 routes need `Authorization: Bearer <key>`, `x-api-key: <key>` or HTTP Basic auth
 * with the key as username or password):
 *  - POST /v1/events             native events: JSON array, one JSON object, or NDJSON
 *                                (`content-type: application/x-ndjson`; positions are 1-based lines)
 *  - POST /v1/caliper            Caliper Envelope (`{sensor, sendTime, dataVersion, data: [...]}`) or one event
 *  - /v1/xapi/                   a write-only xAPI LRS (about, statements): see xapi-route.ts
 *  - GET  /healthz, /readyz, /metrics
 *
 * Answers of the POST routes (the xAPI route answers as an LRS instead, see xapi-route.ts):
 *  - 202 `{accepted, rejected: [{index|line, reason: {code, field?, message}}]}` once Kafka has
 *    acknowledged every accepted event (usage.raw) and every rejected item (usage.dlq). Good items
 *    beside bad ones are accepted. An empty array is 202 with accepted 0.
 *  - 422, same body, when items were sent and every one was rejected (they are in usage.dlq): a
 *    client that checks only the status still learns that nothing of its batch was taken.
 *  - 400, same body plus `error`/`message`, when the body is not JSON at all (malformed_json; the
 *    whole body goes to usage.dlq as one dead letter) or is empty.
 *  - 401 missing or unknown API key. Unauthenticated bodies are never read, parsed or dead-lettered:
 *    anyone could otherwise fill the DLQ. Attempts are counted in edusage_ingest_auth_failures_total.
 *  - 413 body larger than INGEST_MAX_BODY_BYTES, or more than INGEST_MAX_ITEMS items. Refused whole,
 *    not dead-lettered: the client still has the batch and must split it.
 *  - 413 message_too_large when one event is larger than the broker's max.message.bytes (permanent,
 *    so never 503). Large batches are fine: they are produced in calls under that limit.
 *  - 503 + Retry-After when Kafka did not acknowledge (or Redis could not check the key). Nothing is
 *    claimed as accepted; some events may have reached Kafka anyway, so the client's retry may send
 *    copies, which aggregate drops by dedup_key (docs/ARCHITECTURE.md "Duplicate events").
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, keys, sink } = deps;
  const limits: ServerLimits = { ...SERVER_LIMIT_DEFAULTS, ...config };
  const metrics = deps.metrics ?? createMetrics({ defaultMetrics: false });
  const app = Fastify({
    // A client gets INGEST_REQUEST_TIMEOUT_MS to send its whole request (a body trickled byte by byte
    // would otherwise hold the socket forever), then Node answers 408 and closes the socket. Kafka
    // time is not counted: the request is complete by then (INGEST_PRODUCE_TIMEOUT_MS bounds it).
    requestTimeout: limits.INGEST_REQUEST_TIMEOUT_MS,
    connectionTimeout: limits.INGEST_IDLE_TIMEOUT_MS,
    keepAliveTimeout: limits.INGEST_KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: limits.INGEST_HEADERS_TIMEOUT_MS,
      // Node checks the two timeouts above on this interval (default 30 s, far coarser than them).
      connectionsCheckingInterval: Math.min(1_000, limits.INGEST_HEADERS_TIMEOUT_MS),
    },
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One log line per request is too much at ingest rates; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.INGEST_MAX_BODY_BYTES,
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });

  limitRequestsInFlight(app, {
    max: limits.INGEST_MAX_CONCURRENT_REQUESTS,
    retryAfterSeconds: RETRY_AFTER_SECONDS,
    metrics,
  });

  // Every body is read as text: JSON parse errors then become our own 400 + dead letter instead of
  // Fastify's generic error, and NDJSON lines keep their numbers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  // `content-encoding: gzip` bodies are inflated; INGEST_MAX_BODY_BYTES then limits the inflated size.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'identity') return payload;
    if (encoding !== 'gzip')
      throw new RequestRefused(
        415,
        'unsupported_encoding',
        `content-encoding ${encoding} is not supported (use gzip or none)`,
      );
    const gunzip = createGunzip();
    let encoded = 0;
    payload.on('data', (chunk: Buffer) => {
      encoded += chunk.length;
      (gunzip as unknown as { receivedEncodedLength: number }).receivedEncodedLength = encoded;
    });
    return payload.pipe(gunzip);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requestDuration.observe(
      { route, method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler(async (error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (error instanceof RequestRefused) {
      metrics.requestsRefused.inc({ route, code: error.code });
      return reply.code(error.statusCode).send({ error: error.code, message: error.message });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
      metrics.requestsRefused.inc({ route, code: 'payload_too_large' });
      return reply.code(413).send({
        error: 'payload_too_large',
        message: `request body is larger than ${config.INGEST_MAX_BODY_BYTES} bytes (INGEST_MAX_BODY_BYTES); split it into smaller requests`,
      });
    }
    if (error.code === 'Z_DATA_ERROR' || error.code === 'Z_BUF_ERROR') {
      metrics.requestsRefused.inc({ route, code: 'bad_gzip' });
      return reply
        .code(400)
        .send({ error: 'bad_gzip', message: `content-encoding gzip but the body is not valid gzip: ${error.message}` });
    }
    if (error instanceof MessageTooLargeError) {
      // Permanent: the same request would be refused on every retry, so never 503.
      metrics.requestsRefused.inc({ route, code: 'message_too_large' });
      const eventId = eventIdOf(error);
      // Never the error itself: its tooLarge.message is the whole event (student ids, email).
      const { topic, bytes, budget } = error.tooLarge ?? {};
      request.log.warn(
        { err: error.message, topic, bytes, budget, event_id: eventId },
        'a message is over the broker limit: answering 413',
      );
      return reply.code(413).send({
        error: 'message_too_large',
        message:
          (eventId !== undefined ? `event ${JSON.stringify(eventId)}: ` : '') +
          `${error.message}; nothing was accepted: remove or shorten that item and send the batch again`,
      });
    }
    if (error instanceof KafkaUnavailableError) {
      metrics.requestsRefused.inc({ route, code: 'kafka_unavailable' });
      request.log.warn({ err: error }, 'kafka unavailable: answering 503');
      return reply.code(503).header('retry-after', RETRY_AFTER_SECONDS).send({
        error: 'kafka_unavailable',
        message: 'the event log is not reachable; nothing was accepted, retry later',
      });
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: error.code ?? 'bad_request', message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal_error', message: 'internal error; see the server log' });
  });

  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const credentials = presentedCredentials(request.headers);
    if (credentials === null) {
      metrics.authFailures.inc({ route, reason: 'missing' });
      return reply.code(401).header('www-authenticate', [BASIC_CHALLENGE, 'Bearer']).send({
        error: 'missing_api_key',
        message:
          'send the source API key as "Authorization: Bearer <key>", "x-api-key: <key>", or HTTP Basic auth with the key as username or as password',
      });
    }
    let record: ApiKeyRecord | null = null;
    try {
      for (const candidate of credentials.candidates) {
        record = await keys.resolve(candidate);
        if (record !== null) break;
      }
    } catch (err) {
      request.log.warn({ err }, 'api key lookup failed');
      metrics.requestsRefused.inc({ route, code: 'auth_unavailable' });
      return reply.code(503).header('retry-after', RETRY_AFTER_SECONDS).send({
        error: 'auth_unavailable',
        message: 'cannot check API keys right now (Redis unreachable); retry later',
      });
    }
    if (record === null) {
      metrics.authFailures.inc({ route, reason: 'unknown' });
      return reply
        .code(401)
        .header('www-authenticate', credentials.scheme === 'basic' ? BASIC_CHALLENGE : 'Bearer error="invalid_token"')
        .send({ error: 'unknown_api_key', message: 'the API key is not known or was revoked' });
    }
    request.sender = record;
  };

  /**
   * Produces accepted events (usage.raw) and dead letters (usage.dlq); resolves once Kafka acknowledged
   * all of them (throws KafkaUnavailableError → 503 otherwise). Returns what the answer reports.
   */
  const produce = async (
    request: FastifyRequest,
    adapted: Adapted,
    position: (index: number) => { index: number } | { line: number },
  ): Promise<IngestResponse> => {
    const route = request.routeOptions.url ?? 'unmatched';
    const sender = request.sender!;
    const receivedAt = new Date().toISOString();
    const deadLetter = deadLetterBuilder({
      stage: 'ingest',
      source: sender.source,
      districtId: sender.district_id,
      inputFormat: inputFormatOf(route),
    });
    const raw: JsonMessage[] = [];
    const dlq: JsonMessage[] = [];
    const rejected: RejectedItem[] = [];
    let skipped = 0;
    // Each item of the body, routed in one place: an event to usage.raw, a refusal to usage.dlq (and
    // the answer), a skip counted.
    for (const item of stageResultsOf(adapted)) {
      if (item.kind === 'ok') {
        const value: RawMessage = {
          v: 1,
          event: item.value,
          received_at: receivedAt,
          channel: 'http',
          origin: request.id,
        };
        raw.push({ key: userPartitionKey(item.value), value });
      } else if (item.kind === 'dead_letter') {
        const pos = position(item.index ?? rejected.length);
        const reason: DeadLetter['reason'] = { ...item.reason, ...('line' in pos ? { line: pos.line } : {}) };
        rejected.push({ ...pos, reason: publicReason(item.reason) });
        // Parsed items are kept as their JSON text (so a JSON string item stays quoted); text that
        // was not JSON is kept verbatim.
        const payload =
          item.reason.code === 'malformed_json' && typeof item.payload === 'string'
            ? item.payload
            : jsonText(item.payload);
        dlq.push({
          key: sender.source,
          value: deadLetter({ reason, payload, origin: requestItemOrigin(request.id, pos) }),
        });
      } else skipped++;
    }
    await sink.send({ raw, dlq }); // throws KafkaUnavailableError → 503, MessageTooLargeError → 413
    // Counted only once Kafka has them.
    for (const m of raw) metrics.eventsAccepted.inc({ route, source: (m.value as RawMessage).event.source });
    for (const r of rejected) metrics.eventsRejected.inc({ route, code: r.reason.code });
    return { accepted: raw.length, rejected, skipped };
  };

  /** Produces accepted events and dead letters, then answers 202 / 422 (or throws for 503). */
  const finish = async (
    request: FastifyRequest,
    reply: FastifyReply,
    adapted: Adapted,
    position: (index: number) => { index: number } | { line: number },
    status?: number,
  ) => {
    const body = await produce(request, adapted, position);
    const code = status ?? (body.accepted === 0 && body.rejected.length > 0 ? 422 : 202);
    return reply.code(code).send(body);
  };

  /** The body was not JSON: one dead letter with the whole text, 400. */
  const malformed = async (request: FastifyRequest, reply: FastifyReply, text: string, message: string) => {
    const adapted: Adapted = {
      events: [],
      rejects: [{ index: 0, payload: text, reason: { code: 'malformed_json', message } }],
      skipped: [],
    };
    return finish(request, reply, adapted, (index) => ({ index }), 400);
  };

  const parseBody = (text: string) =>
    parseJsonPayload(text, { maxDepth: limits.INGEST_MAX_JSON_DEPTH, depthSetting: 'INGEST_MAX_JSON_DEPTH' });

  const bodyText = (request: FastifyRequest): string => {
    const body = request.body;
    const text = typeof body === 'string' ? body : '';
    if (text.trim().length === 0) throw new RequestRefused(400, 'empty_body', 'the request body is empty');
    return text;
  };

  const tooMany = (n: number) =>
    new RequestRefused(
      413,
      'too_many_items',
      `the request has ${n} items; at most ${config.INGEST_MAX_ITEMS} per request (INGEST_MAX_ITEMS); split it`,
    );

  const sender = (request: FastifyRequest): SenderContext => ({
    districtId: request.sender!.district_id,
    source: request.sender!.source,
  });

  app.post('/v1/events', { onRequest: authenticate }, async (request, reply) => {
    const text = bodyText(request);
    if (NDJSON_TYPES.test(String(request.headers['content-type'] ?? ''))) {
      const items: unknown[] = [];
      const lines: number[] = [];
      const parseRejects: Adapted['rejects'] = [];
      let lineNo = 0;
      for (const line of text.split('\n')) {
        lineNo++;
        const trimmed = line.trim();
        if (trimmed.length === 0) continue;
        if (items.length + parseRejects.length >= config.INGEST_MAX_ITEMS) throw tooMany(countNonBlankLines(text));
        // The untrimmed line is scanned and kept, as before; JSON.parse ignores the surrounding blanks.
        const parsed = parseJsonPayload(line, {
          line: lineNo,
          maxDepth: limits.INGEST_MAX_JSON_DEPTH,
          depthSetting: 'INGEST_MAX_JSON_DEPTH',
        });
        if (parsed.ok) {
          items.push(parsed.value);
          lines.push(lineNo);
        } else parseRejects.push({ index: lineNo - 1, payload: line, reason: parsed.reason });
      }
      const adapted = adaptNativeItems(items, sender(request));
      // Positions: every reject's index becomes its 0-based line index, sorted back into line order.
      const rejects = [
        ...parseRejects,
        ...adapted.rejects.map((r) => ({ ...r, index: lines[r.index ?? 0]! - 1 })),
      ].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      return finish(request, reply, { events: adapted.events, rejects, skipped: adapted.skipped }, (index) => ({
        line: index + 1,
      }));
    }
    const parsed = parseBody(text);
    if (!parsed.ok)
      return malformed(
        request,
        reply,
        text,
        `body is not JSON (${parsed.detail}); send a JSON array, one JSON object, or NDJSON with content-type application/x-ndjson`,
      );
    const body = parsed.value;
    const items = Array.isArray(body) ? body : [body];
    if (items.length > config.INGEST_MAX_ITEMS) throw tooMany(items.length);
    return finish(request, reply, adaptNativeItems(items, sender(request)), (index) => ({ index }));
  });

  app.post('/v1/caliper', { onRequest: authenticate }, async (request, reply) => {
    const text = bodyText(request);
    const parsed = parseBody(text);
    if (!parsed.ok)
      return malformed(
        request,
        reply,
        text,
        `body is not JSON (${parsed.detail}); send a Caliper Envelope or one Caliper event`,
      );
    const body = parsed.value;
    const n =
      isObject(body) && Array.isArray(body['data']) ? body['data'].length : Array.isArray(body) ? body.length : 1;
    if (n > config.INGEST_MAX_ITEMS) throw tooMany(n);
    return finish(request, reply, adaptCaliperBody(body, sender(request)), (index) => ({ index }));
  });

  await app.register(
    xapiRoutes({
      authenticate,
      maxItems: config.INGEST_MAX_ITEMS,
      maxJsonDepth: limits.INGEST_MAX_JSON_DEPTH,
      produce,
      refuse: (statusCode, code, message) => new RequestRefused(statusCode, code, message),
    }),
    { prefix: '/v1/xapi' },
  );

  app.get('/healthz', async () => ({ status: 'ok' }));

  const kafkaReady = cached(deps.readiness?.kafka ?? (async () => true), deps.readinessCacheMs ?? 5_000);
  app.get('/readyz', async (_request, reply) => {
    if (deps.stopping?.()) return reply.code(503).send({ status: 'stopping' });
    const [kafka, redis] = await Promise.all([
      kafkaReady().catch(() => false),
      (deps.readiness?.redis ?? (async () => true))().catch(() => false),
    ]);
    const ready = kafka && redis;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', kafka, redis });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });

  return app;
}

/** The event_id of the raw message that did not fit, when the sink knows which one it was. */
function eventIdOf(error: MessageTooLargeError): string | undefined {
  return (error.tooLarge?.message.value as Partial<RawMessage> | undefined)?.event?.event_id;
}

/** The adapter a route's body goes through: recorded in its dead letters so `dlq replay` can re-run it. */
function inputFormatOf(route: string): string {
  if (route.startsWith('/v1/caliper')) return 'caliper';
  if (route.startsWith('/v1/xapi')) return 'xapi';
  return 'native';
}

function publicReason(reason: DeadLetter['reason']): RejectedItem['reason'] {
  return { code: reason.code, message: reason.message, ...(reason.field !== undefined ? { field: reason.field } : {}) };
}

function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function countNonBlankLines(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.trim().length > 0) n++;
  return n;
}

/** Reuses a probe's answer for `ttlMs`; concurrent callers share one probe. */
function cached(probe: () => Promise<boolean>, ttlMs: number): () => Promise<boolean> {
  let value: { ok: boolean; at: number } | null = null;
  let inflight: Promise<boolean> | null = null;
  return async () => {
    if (value && Date.now() - value.at < ttlMs) return value.ok;
    inflight ??= probe()
      .catch(() => false)
      .then((ok) => {
        value = { ok, at: Date.now() };
        inflight = null;
        return ok;
      });
    return inflight;
  };
}
