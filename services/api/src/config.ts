import { isIP } from 'node:net';
import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import { districtZoneSettings } from '@edusage/enrich';
import { FRESHNESS_VALUES } from './params';

/** What ClickHouse stops an API query after when API_QUERY_TIMEOUT_SECONDS is not set. */
export const API_QUERY_TIMEOUT_DEFAULT_SECONDS = 55;

/** Dashboard pages per token per rate window when API_DASHBOARD_PAGE_LIMIT is not set. */
export const DASHBOARD_PAGE_LIMIT_DEFAULT = 120;

const TRUST_PROXY_USAGE =
  'must be true, false or the number of reverse proxies in front (1 to 100), or a comma-separated list of ' +
  'their IP addresses and CIDR ranges (e.g. 10.20.0.5,::1)';

/**
 * Why `entry` (the `index`th of API_TRUST_PROXY `value`) is no IP address or CIDR range, or null if it
 * is one: an IPv4 or IPv6 address (no zone id), optionally `/` and a prefix length of 1 to 32 or 1 to
 * 128 (0, trusting every address, is refused, as @fastify/proxy-addr refuses it).
 */
function trustedProxyProblem(entry: string, index: number, value: string): string | null {
  if (entry === '') return `entry ${index + 1} of "${value}" is empty`;
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  if (address.includes('%')) return `"${entry}": a zone id (%…) is not supported`;
  const version = isIP(address);
  if (version === 0) return `"${entry}" is not an IP address${slash === -1 ? '' : ' and prefix length'}`;
  if (slash === -1) return null;
  const prefix = entry.slice(slash + 1);
  const max = version === 4 ? 32 : 128;
  // Wider ranges would trust nearly every client to name its own address (an IPv4-mapped IPv6 range
  // counts its 96 fixed bits).
  const min = version === 4 ? 8 : /^::ffff:/i.test(address) && address.includes('.') ? 104 : 32;
  if (/^\d{1,3}$/.test(prefix) && Number(prefix) >= min && Number(prefix) <= max) return null;
  return `"${entry}": the prefix length must be a number from ${min} to ${max} for ${
    min === 104 ? 'an IPv4-mapped' : `an IPv${version}`
  } address (list the proxies, not the clients' networks)`;
}

/** Environment of the API service and its CLI (base variables plus these; docs in services/api/README.md). */
export const apiConfigSchema = baseConfigSchema.extend({
  /** TCP port of the API (0 = any free port, used by tests). */
  API_PORT: z.coerce.number().int().min(0).max(65_535).default(8084),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Behind reverse proxies: either their addresses (a comma-separated list of IP addresses and CIDR
   * ranges, IPv4 or IPv6: the safe form) or how many (`true` = 1; `false`, unset or 0 = none). With a
   * list, X-Forwarded-For is honoured only from a peer in it, walking back only through listed
   * addresses (Fastify trustProxy as an address list); with a count, from whatever peer connects. Either
   * way the client address is never an entry left of the first untrusted one, which the client wrote:
   * so the per-IP limit of requests without a valid token and the audit log's ip are the client's, not
   * the proxy's. Becomes the hop count (0 = none) or the list's entries.
   */
  API_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v, ctx): number | string[] => {
      const s = v.trim();
      if (/^\d{1,3}$/.test(s) && Number(s) <= 100) return Number(s);
      const b = z.stringbool().safeParse(s);
      if (b.success) return b.data ? 1 : 0;
      const entries = s.split(',').map((e) => e.trim());
      const problems =
        s === ''
          ? ['it is empty']
          : /^\d+$/.test(s)
            ? [`${s} is not a number of proxies from 0 to 100`]
            : entries.flatMap((e, i) => trustedProxyProblem(e, i, s) ?? []);
      if (problems.length === 0) return entries;
      ctx.addIssue({ code: 'custom', message: `${TRUST_PROXY_USAGE}; ${problems.join('; ')}` });
      return z.NEVER;
    }),
  /** Requests one token may make per API_RATE_WINDOW_MS. */
  API_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Requests without a valid token (missing, unknown, revoked) one IP may make per window: throttles guessing. */
  API_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(20),
  API_RATE_WINDOW_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(60_000),
  /**
   * Dashboard pages (CSV downloads included) one signed-in token may open per API_RATE_WINDOW_MS. A
   * page runs several report reads, so it has a budget of its own, far above what a person clicks.
   */
  API_DASHBOARD_PAGE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(DASHBOARD_PAGE_LIMIT_DEFAULT),
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
  /**
   * ClickHouse stops a report query after this many seconds (max_execution_time), under the client's
   * 60 s wait: the request is answered 504, and no abandoned query runs on.
   */
  API_QUERY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(59).default(API_QUERY_TIMEOUT_DEFAULT_SECONDS),
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
