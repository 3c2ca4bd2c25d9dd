import { topicNames, topicReplication } from '@edusage/config';
import { createClickHouse, ensureDatabase, runMigrations, SCHEMA_MIGRATIONS_DIR } from '@edusage/clickhouse';
import { createConsumer, createKafka, createProducer, ensureTopics, monitorConsumer } from '@edusage/kafka';
import { runService } from '@edusage/runtime';
import { loadAggregateConfig, type AggregateConfig } from './config';
import { deadLetterHandler, enrichedHandler } from './handlers';
import { registerSinkMetrics } from './metrics';
import { sinkTimingMetrics } from './sink-timings';
import { checkSinkSchema } from './schema-check';
import { SinkWorker } from './sink-worker';

/** ClickHouse ends an INSERT of rows still running after this long (below the client's 60 s). */
const ROW_INSERT_MAX_SECONDS = 50;

/** The aggregate service: usage.enriched + usage.dlq → ClickHouse. Stops gracefully on SIGTERM. */
void runService<AggregateConfig>({
  name: 'aggregate',
  // 1. config
  loadConfig: () => loadAggregateConfig(),
  httpPort: (config) => config.AGGREGATE_HTTP_PORT,
  async start(config, logger, ctx) {
    // 2. clients
    const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
    const kafka = createKafka(config, logger);
    await ensureTopics(
      kafka,
      [topics.raw, topics.enriched, topics.dlq],
      config.KAFKA_PARTITIONS,
      topicReplication(config),
    );
    await ensureDatabase(config);
    const ch = createClickHouse(config);
    await runMigrations(ch, SCHEMA_MIGRATIONS_DIR, logger);
    // Migrations never alter a table that exists: refuse to start on tables that are not what we write.
    await checkSinkSchema(ch);
    // An INSERT of rows holds its table's query_id for every partition and worker (joined-inserts.ts):
    // ClickHouse ends one still running after the client gave up (CLIENT_TIMEOUT_MS, 60 s), not never.
    const rowWriter = createClickHouse(config, config.CLICKHOUSE_DATABASE, {
      keepAlive: false,
      maxExecutionSeconds: ROW_INSERT_MAX_SECONDS,
    });
    const producer = await createProducer(kafka);
    const consumer = await createConsumer(kafka, config.AGGREGATE_GROUP_ID, {
      maxBytesPerPartition: config.AGGREGATE_MAX_BYTES_PER_PARTITION,
      maxBytes: config.AGGREGATE_FETCH_MAX_BYTES,
      sessionTimeout: config.AGGREGATE_SESSION_TIMEOUT_MS,
      minBytes: config.AGGREGATE_FETCH_MIN_BYTES,
      maxWaitTimeInMs: config.AGGREGATE_FETCH_MAX_WAIT_MS,
    });
    // 3. run
    ctx.registerHealthCheck(
      monitorConsumer(consumer, {
        group: config.AGGREGATE_GROUP_ID,
        registry: ctx.registry,
        sessionTimeoutMs: config.AGGREGATE_SESSION_TIMEOUT_MS,
        stallTimeoutMs: config.AGGREGATE_STALL_TIMEOUT_MS,
        onFatal: (err) => ctx.fail(err, 'the consumer crashed and will not restart'),
      }),
    );
    const worker = new SinkWorker({
      consumer,
      producer,
      ch,
      rowWriter,
      logger,
      dlqTopic: topics.dlq,
      concurrency: config.AGGREGATE_CONCURRENCY,
      foldIntervalMs: config.AGGREGATE_FOLD_INTERVAL_MS,
      gather: { minMessages: config.AGGREGATE_GATHER_MESSAGES, maxWaitMs: config.AGGREGATE_GATHER_MAX_WAIT_MS },
      timings: sinkTimingMetrics(ctx.registry),
      handlers: {
        [topics.enriched]: enrichedHandler(ch),
        [topics.dlq]: deadLetterHandler(),
      },
    });
    registerSinkMetrics(ctx.registry, worker.stats, () => worker.heldMessages);
    // A refused partition (schema drift, recreated topic) waits for an operator: not ready until then.
    ctx.registerHealthCheck({
      id: 'partitions',
      check: () => ({ ok: worker.stalled.length === 0, detail: { stalled: worker.stalled } }),
    });
    await worker.start();
    const statsTimer = setInterval(() => logger.info({ stats: worker.stats }, 'sink progress'), 10_000);
    statsTimer.unref();
    // 4. graceful shutdown (SIGTERM)
    return {
      async stop() {
        clearInterval(statsTimer);
        await worker.stop();
        await producer.disconnect();
        await ch.close();
        await rowWriter.close();
        logger.info({ stats: worker.stats }, 'sink stopped');
      },
    };
  },
});
