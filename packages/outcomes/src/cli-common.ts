import { withMigratedClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { loadEnrichConfig, loadRosterFromRedis, recordOrCheckPseudonymKey, type EnrichConfig } from '@edusage/enrich';
import { Redis } from 'ioredis';
import { RosterMatcher } from './roster-match';

/** District ids end up in SQL literals (escaped) and Redis keys: keep them plain. */
export function checkDistrictId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id))
    throw new Error(`--district: not a plain id: ${JSON.stringify(id)}`);
  return id;
}

/** The enrich environment (PSEUDONYM_KEY, REDIS_*, CLICKHOUSE_*): the same key enrich pseudonymizes events with. */
export function loadConfig(): EnrichConfig {
  return loadEnrichConfig();
}

/**
 * The district's current roster (from Redis, as enrich loads it) as a matcher; refuses when there is
 * none, and when PSEUDONYM_KEY is not the deployment's key (results stored under another key's
 * pseudonyms would never meet their students' events), like the roster import does.
 */
export async function loadMatcher(
  config: Pick<EnrichConfig, 'REDIS_URL' | 'REDIS_KEY_PREFIX' | 'PSEUDONYM_KEY'>,
  districtId: string,
): Promise<RosterMatcher> {
  const matcher = await loadMatcherIfAny(config, districtId);
  if (!matcher) throw new Error(`district ${districtId} has no roster: run \`enrich roster import\` first`);
  return matcher;
}

/** `loadMatcher`, but null when the district has no roster (the key is checked all the same). */
export async function loadMatcherIfAny(
  config: Pick<EnrichConfig, 'REDIS_URL' | 'REDIS_KEY_PREFIX' | 'PSEUDONYM_KEY'>,
  districtId: string,
): Promise<RosterMatcher | null> {
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  try {
    await recordOrCheckPseudonymKey({ redis, prefix: config.REDIS_KEY_PREFIX, key: config.PSEUDONYM_KEY });
    const roster = await loadRosterFromRedis(redis, config.REDIS_KEY_PREFIX, districtId);
    return roster ? new RosterMatcher(districtId, roster.data, config.PSEUDONYM_KEY) : null;
  } finally {
    redis.disconnect();
  }
}

/** Runs `fn` with a ClickHouse client of the configured database (migrated first). */
export function withClickHouse<T>(config: EnrichConfig, fn: (ch: ClickHouseClient) => Promise<T>): Promise<T> {
  return withMigratedClickHouse(config, fn);
}

export function fail(err: unknown): void {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
