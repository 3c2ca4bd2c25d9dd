import { createClickHouse, ensureDatabase, runMigrations, SCHEMA_MIGRATIONS_DIR } from '@edusage/clickhouse';
import { runService } from '@edusage/runtime';
import { loadJobsConfig, type JobsConfig } from './config';
import { registerJobMetrics } from './metrics';
import { compactAtStartIfNeeded } from './maintenance-jobs';
import { jobProcessor } from './processor';
import { bullConnection, createQueue, createWorker, redisReachable } from './queue';
import { desiredSchedulers, reconcileSchedulers } from './schedules';
import { settlesWithin, stopWorker } from './stop-worker';

/** The jobs service: BullMQ schedulers and worker (license snapshots, renewal alerts, webhooks). */
void runService<JobsConfig>({
  name: 'jobs',
  // 1. config
  loadConfig: () => loadJobsConfig(),
  httpPort: (config) => config.JOBS_HTTP_PORT,
  async start(config, logger, ctx) {
    // 2. clients
    await ensureDatabase(config);
    const ch = createClickHouse(config);
    await runMigrations(ch, SCHEMA_MIGRATIONS_DIR, logger);
    const redis = bullConnection(config);
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
    const queue = createQueue(config, redis);
    queue.on('error', (err) => logger.warn({ err: err.message }, 'queue error'));
    if (config.JOBS_OWN_SCHEDULERS) {
      await reconcileSchedulers(
        queue,
        desiredSchedulers(config),
        { attempts: config.JOBS_ATTEMPTS, backoffMs: config.JOBS_RETRY_DELAY_MS },
        logger,
      );
      await compactAtStartIfNeeded(ch, queue, config, logger);
    }
    // 3. run
    const worker = createWorker(config, redis, jobProcessor({ config, ch, queue, redis, logger }));
    worker.on('error', (err) => logger.warn({ err: err.message }, 'worker error'));
    // A job whose lock expired (its process died, or blocked its loop for half of JOBS_LOCK_MS): run again.
    worker.on('stalled', (id) => logger.warn({ id }, 'job stalled: put back to run again'));
    worker.on('failed', (job, err) =>
      logger.warn({ job: job?.name, id: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job attempt failed'),
    );
    registerJobMetrics(ctx.registry, worker);
    ctx.registerHealthCheck({ id: 'redis', check: async () => ({ ok: await redisReachable(redis) }) });
    ctx.registerHealthCheck({ id: 'worker', check: () => ({ ok: worker.isRunning() && !worker.closing }) });
    const running = worker.run().catch((err: unknown) => ctx.fail(err, 'the job worker stopped'));
    await worker.waitUntilReady();
    // 4. graceful shutdown (SIGTERM): take no new jobs; the jobs in hand get JOBS_STOP_GRACE_MS to
    // finish, then go back to the queue. Every wait is bounded: a Redis command on this connection
    // would otherwise wait for Redis forever (maxRetriesPerRequest: null).
    return {
      async stop() {
        await stopWorker(worker, config.JOBS_STOP_GRACE_MS, logger);
        // A job handed back may still be running here (abandoned): closing ClickHouse first ends its
        // writes before another worker, which may already have taken the job, gets far.
        await ch.close();
        await settlesWithin(running, 1_000);
        await settlesWithin(queue.close(), 2_000);
        redis.disconnect();
      },
    };
  },
});
