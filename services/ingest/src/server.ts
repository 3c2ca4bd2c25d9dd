import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '@edusage/logging';
import { apiKeyCheck } from './api-key-check';
import { answering } from './answer';
import type { KeyResolver } from './apikeys';
import { SERVER_LIMIT_DEFAULTS, type IngestConfig } from './config';
import { registerEventRoutes } from './event-routes';
import { inflateGzipBodies } from './gzip-body';
import { answerErrors } from './http-errors';
import { limitRequestsInFlight } from './in-flight';
import type { KeyEventLimit } from './key-event-limit';
import { createMetrics, type IngestMetrics } from './metrics';
import { registerProbeRoutes, type ProbeDeps } from './probe-routes';
import { RETRY_AFTER_SECONDS, RequestRefused } from './request-refused';
import type { EventSink } from './sink';
import { xapiRoutes } from './xapi-route';

export type { IngestResponse, RejectedItem } from './answer';

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

export interface ServerDeps extends Omit<ProbeDeps, 'metrics'> {
  config: { INGEST_MAX_BODY_BYTES: number; INGEST_MAX_ITEMS: number } & Partial<ServerLimits>;
  logger: Logger;
  keys: KeyResolver;
  sink: EventSink;
  metrics?: IngestMetrics;
  /** Each API key's events per minute (none when not given). */
  keyLimit?: KeyEventLimit;
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
 *  - 429 + Retry-After `key_rate_limited` when the key has used its events a minute (its own
 *    `events_per_minute`, else INGEST_KEY_EVENTS_PER_MINUTE); nothing of the request is produced or
 *    counted. A request is let in while the window has room, so its items may end past the limit.
 *  - 503 + Retry-After when Kafka did not acknowledge (or Redis could not check the key). Nothing is
 *    claimed as accepted; some events may have reached Kafka anyway, so the client's retry may send
 *    copies, which aggregate drops by dedup_key (docs/ARCHITECTURE.md "Duplicate events").
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config } = deps;
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
  inflateGzipBodies(app);

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
  answerErrors(app, { metrics, maxBodyBytes: config.INGEST_MAX_BODY_BYTES });

  const authenticate = apiKeyCheck(deps.keys, metrics, deps.keyLimit);
  const answers = answering({ sink: deps.sink, metrics, ...(deps.keyLimit ? { limit: deps.keyLimit } : {}) });
  registerEventRoutes(app, {
    answering: answers,
    authenticate,
    maxItems: config.INGEST_MAX_ITEMS,
    maxJsonDepth: limits.INGEST_MAX_JSON_DEPTH,
  });
  await app.register(
    xapiRoutes({
      authenticate,
      maxItems: config.INGEST_MAX_ITEMS,
      maxJsonDepth: limits.INGEST_MAX_JSON_DEPTH,
      produce: answers.produce,
      refuse: (statusCode, code, message) => new RequestRefused(statusCode, code, message),
    }),
    { prefix: '/v1/xapi' },
  );
  registerProbeRoutes(app, { ...deps, metrics });
  return app;
}
