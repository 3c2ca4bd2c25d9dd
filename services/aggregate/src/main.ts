import { topicNames } from '@edusage/config';
import { createClickHouse, ensureDatabase, runMigrations } from '@edusage/clickhouse';
import { createConsumer, createKafka, createProducer, ensureTopics } from '@edusage/kafka';
import { runService } from '@edusage/runtime';
import path from 'node:path';
import { loadAggregateConfig, type AggregateConfig } from './config';
import { deadLetterHandler, enrichedHandler } from './handlers';
import { checkSinkSchema } from './schema-check';
import { SinkWorker } from './sink-worker';

const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', '..', 'infra', 'clickhouse');

void runService<AggregateConfig>({
  name: 'aggregate',
  loadConfig: () => loadAggregateConfig(),
  async start(config, logger) {
    const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
    const kafka = createKafka(config, logger);
    await ensureTopics(kafka, [topics.raw, topics.enriched, topics.dlq], config.KAFKA_PARTITIONS);
    await ensureDatabase(config);
    const ch = createClickHouse(config);
    await runMigrations(ch, MIGRATIONS_DIR, logger);
    // Migrations never alter a table that exists: refuse to start on tables that are not what we write.
    await checkSinkSchema(ch);
    const rowWriter = createClickHouse(config, config.CLICKHOUSE_DATABASE, { keepAlive: false });
    const producer = await createProducer(kafka);
    const consumer = await createConsumer(kafka, config.AGGREGATE_GROUP_ID, {
      maxBytesPerPartition: config.AGGREGATE_MAX_BYTES_PER_PARTITION,
      sessionTimeout: config.AGGREGATE_SESSION_TIMEOUT_MS,
      minBytes: config.AGGREGATE_FETCH_MIN_BYTES,
      maxWaitTimeInMs: config.AGGREGATE_FETCH_MAX_WAIT_MS,
    });
    const worker = new SinkWorker({
      consumer,
      producer,
      ch,
      rowWriter,
      logger,
      dlqTopic: topics.dlq,
      concurrency: config.AGGREGATE_CONCURRENCY,
      handlers: {
        [topics.enriched]: enrichedHandler(ch),
        [topics.dlq]: deadLetterHandler(),
      },
    });
    await worker.start();
    const statsTimer = setInterval(() => logger.info({ stats: worker.stats }, 'sink progress'), 10_000);
    statsTimer.unref();
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
