import { Redis } from 'ioredis';
import { createKafka } from '@edusage/kafka';
import { runService } from '@edusage/runtime';
import { loadEnrichConfig, type EnrichConfig } from './config';
import { startEnrichWorker } from './worker/worker';

/** The enrich service: usage.raw → usage.enriched (+ usage.dlq). Stops gracefully on SIGTERM. */
void runService<EnrichConfig>({
  name: 'enrich',
  // 1. config
  loadConfig: () => loadEnrichConfig(),
  httpPort: (config) => config.ENRICH_HTTP_PORT,
  async start(config, logger, ctx) {
    // 2. clients
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, enableOfflineQueue: true });
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
    const kafka = createKafka(config, logger);
    // 3. run
    const worker = await startEnrichWorker({
      config,
      logger,
      kafka,
      redis,
      registry: ctx.registry,
      onFatal: (err) => ctx.fail(err, 'the consumer crashed and will not restart'),
    });
    ctx.registerHealthCheck(worker.health);
    // Not ready while a district's roster or catalog cannot be read: an operator must import it again.
    ctx.registerHealthCheck(worker.registry.health);
    // 4. graceful shutdown (SIGTERM)
    return {
      async stop() {
        await worker.stop();
        redis.disconnect();
      },
    };
  },
});
