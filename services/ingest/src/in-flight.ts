import type { FastifyInstance } from 'fastify';
import type { IngestMetrics } from './metrics';

/** The probes' routes: never counted nor refused. */
const PROBES: ReadonlySet<string | undefined> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Bounds the requests handled at once. Each may hold a whole body (INGEST_MAX_BODY_BYTES) and
 * its parsed events, so without a bound a burst of clients can exhaust memory. A request over the
 * bound is answered at once, before its body is read: 503 + Retry-After (the server is full for
 * everyone, which is what 503 means; 429 would blame one client's rate). Health, readiness and
 * metrics are not counted, so probes still answer while the API is full. They are told by the route
 * the router matched, not the raw URL: the router decodes the path, so `/%761/events` is /v1/events.
 */
export function limitRequestsInFlight(
  app: FastifyInstance,
  opts: { max: number; retryAfterSeconds: string; metrics: IngestMetrics },
): void {
  let inFlight = 0;
  app.addHook('onRequest', async (request, reply) => {
    if (PROBES.has(request.routeOptions.url)) return;
    if (inFlight >= opts.max) {
      opts.metrics.requestsRefused.inc({ route: request.routeOptions.url ?? 'unmatched', code: 'overloaded' });
      return reply
        .code(503)
        .header('retry-after', opts.retryAfterSeconds)
        .header('connection', 'close')
        .send({
          error: 'overloaded',
          message: `the server is handling ${opts.max} requests already (INGEST_MAX_CONCURRENT_REQUESTS); nothing was read, retry later`,
        });
    }
    inFlight++;
    opts.metrics.requestsInFlight.set(inFlight);
    // 'close' fires once the response is sent or the connection dies (timeout, client gone).
    reply.raw.once('close', () => {
      inFlight--;
      opts.metrics.requestsInFlight.set(inFlight);
    });
  });
}
