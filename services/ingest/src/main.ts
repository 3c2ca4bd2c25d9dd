import { runService } from '@edusage/runtime';
import { loadIngestConfig } from './config';
import { startIngest } from './app';

/** The ingest service: HTTP → usage.raw (+ usage.dlq). Stops gracefully on SIGTERM. */
void runService({
  name: 'ingest',
  // 1. config
  loadConfig: () => loadIngestConfig(),
  // No httpPort: the ingest server answers /healthz, /readyz and /metrics on INGEST_PORT itself.
  // 2. clients and 3. run (Kafka producer, Redis, the HTTP server); 4. graceful shutdown on SIGTERM.
  start: (config, logger) => startIngest(config, logger, { listen: true }),
  shutdownTimeoutMs: 30_000,
});
