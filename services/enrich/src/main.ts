import { Redis } from 'ioredis';
import { createKafka } from '@edusage/kafka';
import { runService } from '@edusage/runtime';
import { loadEnrichConfig, type EnrichConfig } from './config';
import { startEnrichWorker } from './worker/worker';

/** The enrich service: usage.raw → usage.enriched (+ usage.dlq). Stops gracefully on SIGTERM. */
void runService<EnrichConfig>({
  name: 'enrich',
  loadConfig: () => loadEnrichConfig(),
  async start(config, logger) {
    const redis = new Redis(config.REDIS_URL, {
      maxRetriesPerRequest: 3,
      enableOfflineQueue: true,
    });
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
    const kafka = createKafka(config, logger);
    const worker = await startEnrichWorker({ config, logger, kafka, redis });
    return {
      async stop() {
        await worker.stop();
        redis.disconnect();
      },
    };
  },
});
