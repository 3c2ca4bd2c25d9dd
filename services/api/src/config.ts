import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import { districtZoneSettings } from '@edusage/enrich';
import { FRESHNESS_VALUES } from './params';

/** Environment of the API service and its CLI (base variables plus these; docs in services/api/README.md). */
export const apiConfigSchema = baseConfigSchema.extend({
  /** TCP port of the API (0 = any free port, used by tests). */
  API_PORT: z.coerce.number().int().min(0).max(65_535).default(8084),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Behind reverse proxies: how many (`true` = 1; `false`, unset or 0 = none). The client address is the
   * X-Forwarded-For entry the outermost of them appended (Fastify trustProxy as a hop count), never an
   * entry left of it, which the client wrote: so the per-IP limit of requests without a valid token
   * and the audit log's ip are the client's, not the proxy's, and cannot be forged.
   */
  API_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v, ctx) => {
      const s = v.trim();
      if (/^\d{1,3}$/.test(s) && Number(s) <= 100) return Number(s);
      const b = z.stringbool().safeParse(s);
      if (b.success) return b.data ? 1 : 0;
      ctx.addIssue({
        code: 'custom',
        message: 'must be true, false or the number of reverse proxies in front (1 to 100)',
      });
      return z.NEVER;
    }),
  /** Requests one token may make per API_RATE_WINDOW_MS. */
  API_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Requests without a valid token (missing, unknown, revoked) one IP may make per window: throttles guessing. */
  API_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(20),
  API_RATE_WINDOW_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(60_000),
  /** How long a token lookup (hit or miss) is cached in memory; also how long a revocation may take to bite. */
  API_TOKEN_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(5_000),
  /** The audit log is written in batches this often (and when API_AUDIT_BATCH entries wait). */
  API_AUDIT_FLUSH_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  API_AUDIT_BATCH: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** Entries kept while ClickHouse refuses them; beyond this the oldest are dropped and counted. */
  API_AUDIT_MAX_BUFFER: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
  /** The research database the researcher endpoints read (default <CLICKHOUSE_DATABASE>_research). */
  RESEARCH_DATABASE: z.string().default(''),
  /**
   * ClickHouse user the research endpoints read with, e.g. the read-only `researcher` (docs/DATA_DICTIONARY.md);
   * unset = CLICKHOUSE_USER / CLICKHOUSE_PASSWORD.
   */
  API_RESEARCH_USER: z.string().min(1).optional(),
  API_RESEARCH_PASSWORD: z.string().optional(),
  /**
   * What a report reads when the request names no `freshness`: `compacted` (each month as of its last
   * rollup compaction: fast, at most ROLLUP_COMPACTION_MINUTES behind) or `live` (everything folded).
   */
  API_DEFAULT_FRESHNESS: z.enum(FRESHNESS_VALUES).default('compacted'),
  /** The districts' zones (as enrich's): "today", the default last day of a license window, is district-local. */
  ...districtZoneSettings,
  /** Kafka consumer groups whose lag /v1/pipeline/lag reports. */
  ENRICH_GROUP_ID: z.string().min(1).default('edusage-enrich'),
  AGGREGATE_GROUP_ID: z.string().min(1).default('edusage-aggregate'),
});
export type ApiConfig = z.infer<typeof apiConfigSchema>;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return loadConfig(apiConfigSchema, env);
}
