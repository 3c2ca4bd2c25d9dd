import type { ClickHouseClient } from '@edusage/clickhouse';
import { NO_NAMES, readDistrictNames, type AppEntry, type DistrictNames } from '@edusage/enrich';

export type { DistrictNames };
export type NamesReader = (districtId: string) => Promise<DistrictNames>;

/** Districts whose names are kept; past it, expired entries are dropped (names are a page's labels, not data). */
const MAX_DISTRICTS = 1_000;

/**
 * A district's names (`readDistrictNames` of @edusage/enrich: the current roster dimensions and the app
 * catalogs), cached per district for `cacheMs`: names change with a roster or catalog import, not per
 * request. The district's own catalog not answering (Redis) leaves the shipped app names, reported to
 * `onCatalogError`; a failed read gives the last names read for the district, if any, and is tried again
 * after `retryMs`.
 */
export function districtNamesReader(deps: {
  ch: ClickHouseClient;
  /** The district's own app catalog entries (`catalog import`, in Redis), [] when it has none. */
  districtCatalog(districtId: string): Promise<readonly AppEntry[]>;
  onCatalogError?(err: unknown, districtId: string): void;
  cacheMs?: number;
  retryMs?: number;
  now?: () => number;
}): NamesReader {
  const cacheMs = deps.cacheMs ?? 60_000;
  const retryMs = deps.retryMs ?? 10_000;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { until: number; names: Promise<DistrictNames> }>();
  const lastGood = new Map<string, DistrictNames>();
  const catalog = (districtId: string) =>
    deps.districtCatalog(districtId).catch((err: unknown) => {
      deps.onCatalogError?.(err, districtId);
      return [];
    });
  return (districtId) => {
    const hit = cache.get(districtId);
    if (hit && hit.until > now()) return hit.names;
    if (cache.size >= MAX_DISTRICTS)
      for (const [id, entry] of cache)
        if (entry.until <= now()) {
          cache.delete(id);
          lastGood.delete(id);
        }
    const entry = { until: now() + cacheMs, names: Promise.resolve(NO_NAMES) };
    entry.names = readDistrictNames(deps.ch, districtId, catalog).then(
      (names) => {
        lastGood.set(districtId, names);
        return names;
      },
      (err: unknown) => {
        entry.until = now() + retryMs;
        const last = lastGood.get(districtId);
        if (last) return last;
        if (cache.get(districtId) === entry) cache.delete(districtId);
        throw err;
      },
    );
    cache.set(districtId, entry);
    return entry.names;
  };
}
