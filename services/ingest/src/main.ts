import { runService } from '@edusage/runtime';
import { loadIngestConfig } from './config';
import { startIngest } from './app';

void runService({
  name: 'ingest',
  loadConfig: () => loadIngestConfig(),
  start: (config, logger) => startIngest(config, logger, { listen: true }),
  shutdownTimeoutMs: 30_000,
});
