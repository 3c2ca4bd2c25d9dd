import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** One component's answer to "can this process do its work now?". */
export interface HealthStatus {
  ok: boolean;
  /** Shown in the /readyz body: why it is (not) ready. */
  detail?: Record<string, unknown>;
}

/** A component a service registers for /readyz (PostHog's `{id, healthcheck}` pattern). */
export interface HealthCheck {
  id: string;
  check(): HealthStatus | Promise<HealthStatus>;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The probe and metrics endpoints every service serves (node:http: three GET routes need no framework):
 *  - GET /healthz  200 while the process runs (liveness)
 *  - GET /readyz   200 when running (not starting or stopping) and every check is ok, else 503;
 *                  body `{status, checks: {<id>: {ok, ...detail}}}`
 *  - GET /metrics  the Prometheus registry
 */
export async function startHealthServer(opts: {
  port: number;
  host?: string;
  checks: () => readonly HealthCheck[];
  registry: Registry;
  /** 'starting' or 'stopping' while the service is not running: readiness is false whatever the checks say. */
  phase: () => 'starting' | 'running' | 'stopping';
}): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    const url = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') return reply(405, { error: 'method_not_allowed' });
    if (url === '/healthz') return reply(200, { status: 'ok' });
    if (url === '/readyz') {
      readiness(opts.checks(), opts.phase())
        .then(({ ready, body }) => reply(ready ? 200 : 503, body))
        .catch((err: unknown) => reply(503, { status: 'not_ready', error: String(err) }));
      return;
    }
    if (url === '/metrics') {
      opts.registry
        .metrics()
        .then((text) => {
          res.setHeader('content-type', opts.registry.contentType);
          res.end(text);
        })
        .catch((err: unknown) => reply(500, { error: String(err) }));
      return;
    }
    reply(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readiness(checks: readonly HealthCheck[], phase: 'starting' | 'running' | 'stopping') {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        return [c.id, await c.check()] as const;
      } catch (err) {
        return [c.id, { ok: false, detail: { error: String(err) } }] as const;
      }
    }),
  );
  const ready = phase === 'running' && results.every(([, r]) => r.ok);
  return {
    ready,
    body: {
      status: ready ? 'ready' : phase === 'running' ? 'not_ready' : phase,
      checks: Object.fromEntries(results.map(([id, r]) => [id, { ok: r.ok, ...(r.detail ?? {}) }])),
    },
  };
}
