import type { ClickHouseClient } from '@edusage/clickhouse';
import { readDistrictNames, type AppEntry, type DistrictNames } from '@edusage/enrich';

export type { DistrictNames };
export type NamesReader = (districtId: string) => Promise<DistrictNames>;

/**
 * A district's names (`readDistrictNames` of @edusage/enrich: the current roster dimensions and the app
 * catalogs), cached per district for `cacheMs`: names change with a roster or catalog import, not per
 * request. A failed read is not cached.
 */
export function districtNamesReader(deps: {
  ch: ClickHouseClient;
  /** The district's own app catalog entries (`catalog import`, in Redis), [] when it has none. */
  districtCatalog(districtId: string): Promise<readonly AppEntry[]>;
  cacheMs?: number;
  now?: () => number;
}): NamesReader {
  const cacheMs = deps.cacheMs ?? 60_000;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { until: number; names: Promise<DistrictNames> }>();
  return (districtId) => {
    const hit = cache.get(districtId);
    if (hit && hit.until > now()) return hit.names;
    const names = readDistrictNames(deps.ch, districtId, deps.districtCatalog);
    cache.set(districtId, { until: now() + cacheMs, names });
    names.catch(() => cache.delete(districtId));
    return names;
  };
}
