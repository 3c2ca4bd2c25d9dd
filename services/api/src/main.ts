import { runService } from '@edusage/runtime';
import { startApi } from './app';
import { loadApiConfig } from './config';

/** The API service: reports over ClickHouse for API tokens. Stops gracefully on SIGTERM. */
void runService({
  name: 'api',
  // 1. config
  loadConfig: () => loadApiConfig(),
  // No httpPort: the API answers /healthz, /readyz and /metrics on API_PORT itself (like ingest).
  // 2. clients and 3. run (ClickHouse, Redis, the HTTP server); 4. graceful shutdown on SIGTERM.
  start: (config, logger) => startApi(config, logger, { listen: true }),
  shutdownTimeoutMs: 30_000,
});
