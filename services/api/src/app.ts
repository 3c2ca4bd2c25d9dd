import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import {
  clickhouseHealth,
  createClickHouse,
  ensureDatabase,
  runMigrations,
  SCHEMA_MIGRATIONS_DIR,
} from '@edusage/clickhouse';
import { topicNames } from '@edusage/config';
import { districtAppsFromRedis, districtToday } from '@edusage/enrich';
import { consumerLag, createKafka, lagErrorText } from '@edusage/kafka';
import { districtNamesReader } from './names';
import type { Logger } from '@edusage/logging';
import { ensureResearchSchema, researchDatabaseOf } from '@edusage/research';
import { AuditLog } from './audit';
import type { ApiConfig } from './config';
import type { ApiDeps } from './endpoint';
import { createApiMetrics, type ApiMetrics } from './metrics';
import { buildServer, trustProxyWarning } from './server';
import { TokenStore } from './tokens';

export interface ApiService {
  app: FastifyInstance;
  deps: ApiDeps;
  metrics: ApiMetrics;
  audit: AuditLog;
  tokens: TokenStore;
  /** e.g. http://127.0.0.1:8084 (after `listen: true`). */
  url?: string;
  stop(): Promise<void>;
}

export function createRedis(config: Pick<ApiConfig, 'REDIS_URL'>): Redis {
  // Fail a command fast when Redis is down (the request gets 503) instead of queueing it forever.
  return new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3_000 });
}

const within = <T>(p: Promise<T>, ms: number, fallback: T) =>
  Promise.race([p, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms).unref())]);

/** Clients and server of the API: migrates ClickHouse, connects Redis, builds the app and (with `listen`) binds it. */
export async function startApi(
  config: ApiConfig,
  logger: Logger,
  opts: { listen?: boolean; now?: () => Date; defaultMetrics?: boolean } = {},
): Promise<ApiService> {
  const trustWarning = trustProxyWarning(config.API_TRUST_PROXY);
  if (trustWarning !== null) logger.warn(trustWarning);
  await ensureDatabase(config);
  const ch = createClickHouse(config, config.CLICKHOUSE_DATABASE, {
    maxExecutionSeconds: config.API_QUERY_TIMEOUT_SECONDS,
  });
  await runMigrations(ch, SCHEMA_MIGRATIONS_DIR, logger);
  const researchConfig = {
    ...config,
    CLICKHOUSE_DATABASE: researchDatabaseOf(config),
    ...(config.API_RESEARCH_USER !== undefined
      ? { CLICKHOUSE_USER: config.API_RESEARCH_USER, CLICKHOUSE_PASSWORD: config.API_RESEARCH_PASSWORD ?? '' }
      : {}),
  };
  // The research schema is the research package's (created here too when the API starts first).
  await ensureResearchSchema(config, researchConfig.CLICKHOUSE_DATABASE);
  const research = createClickHouse(researchConfig);
  const redis = createRedis(config);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  const kafka = createKafka(config, logger);
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const groups = [
    { group: config.ENRICH_GROUP_ID, topics: [topics.raw] },
    { group: config.AGGREGATE_GROUP_ID, topics: [topics.enriched, topics.dlq] },
  ];
  const metrics = createApiMetrics({ defaultMetrics: opts.defaultMetrics ?? true });
  const audit = new AuditLog(ch, logger, metrics, {
    flushMs: config.API_AUDIT_FLUSH_MS,
    batch: config.API_AUDIT_BATCH,
    maxBuffer: config.API_AUDIT_MAX_BUFFER,
  });
  const tokens = new TokenStore(redis, config.REDIS_KEY_PREFIX, config.API_TOKEN_CACHE_MS);
  const now = opts.now ?? (() => new Date());
  const deps: ApiDeps = {
    ch,
    research,
    tokens,
    defaultFreshness: config.API_DEFAULT_FRESHNESS,
    names: districtNamesReader({
      ch,
      districtCatalog: districtAppsFromRedis(redis, config.REDIS_KEY_PREFIX),
      onCatalogError: (err, districtId) =>
        logger.warn(
          { err: String(err), districtId },
          "the district's app catalog could not be read: shipped app names only",
        ),
    }),
    pipelineLag: () =>
      Promise.all(groups.map(async (g) => ({ ...g, lag: await consumerLag(kafka, g.group, g.topics) }))).catch(
        (err: unknown) => {
          // The admin is told what failed, not kafkajs' message (it names the brokers' addresses).
          logger.warn({ err }, 'reading the Kafka consumer lag failed');
          throw new Error(lagErrorText(err));
        },
      ),
    now,
    today: (districtId) => districtToday(config, districtId, now()),
  };
  let stopping = false;
  const app = await buildServer({
    config,
    logger,
    deps,
    redis,
    audit,
    metrics,
    async ready() {
      const [redisOk, clickhouseOk] = await Promise.all([
        within(
          redis
            .ping()
            .then((p) => p === 'PONG')
            .catch(() => false),
          2_000,
          false,
        ),
        within(clickhouseHealth(ch), 2_000, false),
      ]);
      return { ok: !stopping && redisOk && clickhouseOk, checks: { redis: redisOk, clickhouse: clickhouseOk } };
    },
  });
  audit.start();
  let url: string | undefined;
  if (opts.listen ?? true) {
    url = await app.listen({ port: config.API_PORT, host: config.API_HOST });
    logger.info({ url }, 'api listening');
  } else {
    await app.ready();
  }
  return {
    app,
    deps,
    metrics,
    audit,
    tokens,
    ...(url !== undefined ? { url } : {}),
    async stop() {
      stopping = true;
      // Finish the requests in hand, then write the audit entries they left, then close the clients.
      await app.close();
      await audit.stop();
      await redis.quit().catch(() => redis.disconnect());
      await research.close();
      await ch.close();
    },
  };
}
