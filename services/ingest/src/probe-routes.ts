import type { FastifyInstance } from 'fastify';
import type { IngestMetrics } from './metrics';

export interface ProbeDeps {
  metrics: IngestMetrics;
  /** Readiness probes for /readyz (each should answer within a few seconds). */
  readiness?: { kafka(): Promise<boolean>; redis(): Promise<boolean> };
  /** How long a Kafka readiness answer is reused (default 5 s). */
  readinessCacheMs?: number;
  /** True once the service's stop has begun: /readyz answers 503 `stopping` whatever the probes say. */
  stopping?: () => boolean;
}

/** GET /healthz (the process answers), /readyz (Kafka and Redis reachable, not stopping), /metrics. */
export function registerProbeRoutes(app: FastifyInstance, deps: ProbeDeps): void {
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
    const text = await deps.metrics.registry.metrics();
    return reply.header('content-type', deps.metrics.registry.contentType).send(text);
  });
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
