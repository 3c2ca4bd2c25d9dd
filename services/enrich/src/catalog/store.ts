import type { Redis } from 'ioredis';
import { readCurrentVersion, writeVersioned, type WriteResult } from '../store/versioned';
import type { AppEntry } from './catalog';

/**
 * Redis layout of a district's catalog extension (prefix = REDIS_KEY_PREFIX):
 *   catalog:districts                       set of district ids with an extension
 *   catalog:<district>:current              current version id
 *   catalog:<district>:<version>:apps       hash app_id → JSON AppEntry
 *   catalog:<district>:<version>:meta       hash: parts, written_at, source
 * An import replaces the district's whole extension (shipped entries stay underneath it).
 */
export async function saveDistrictCatalog(
  redis: Redis,
  prefix: string,
  districtId: string,
  apps: AppEntry[],
  meta: Record<string, string> = {},
): Promise<WriteResult> {
  const entries: [string, unknown][] = apps.map((a) => [a.app_id, a]);
  return writeVersioned(
    redis,
    prefix,
    'catalog',
    districtId,
    { apps: entries },
    { ...meta, apps: String(apps.length) },
  );
}

export async function loadDistrictCatalog(
  redis: Redis,
  prefix: string,
  districtId: string,
): Promise<{ version: string; apps: AppEntry[] } | null> {
  const read = await readCurrentVersion<AppEntry>(redis, prefix, 'catalog', districtId, ['apps']);
  if (!read) return null;
  return {
    version: read.version,
    apps: [...(read.parts['apps'] ?? new Map<string, AppEntry>()).values()],
  };
}
