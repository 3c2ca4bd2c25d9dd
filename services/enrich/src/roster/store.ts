import type { Redis } from 'ioredis';
import { readCurrentVersion, writeVersioned, type WriteResult } from '../store/versioned';
import { ROSTER_ENTITIES, emptyRoster, rosterEntityMap, type RosterData } from './model';

/**
 * Redis layout of a roster (prefix = REDIS_KEY_PREFIX):
 *   roster:districts                          set of district ids with a roster
 *   roster:<district>:current                 current version id
 *   roster:<district>:<version>:<entity>      hash sourcedId → JSON record; entities:
 *        orgs, users, classes, courses, enrollments, sessions, course_apps (courseSourcedId → [appId]),
 *        networks (school sourcedId → [CIDR])
 *   roster:<district>:<version>:meta          hash: parts, written_at, oneroster_version, counts (JSON)
 */
export async function saveRosterToRedis(
  redis: Redis,
  prefix: string,
  districtId: string,
  data: RosterData,
  meta: Record<string, string> = {},
  version?: string,
): Promise<WriteResult> {
  const parts: Record<string, Iterable<[string, unknown]>> = {};
  const counts: Record<string, number> = {};
  for (const entity of ROSTER_ENTITIES) {
    const map = rosterEntityMap(data, entity);
    parts[entity] = map.entries();
    counts[entity] = map.size;
  }
  return writeVersioned(
    redis,
    prefix,
    'roster',
    districtId,
    parts,
    { ...meta, counts: JSON.stringify(counts) },
    version,
  );
}

/** The current roster of a district from Redis, or null when it has none. */
export async function loadRosterFromRedis(
  redis: Redis,
  prefix: string,
  districtId: string,
): Promise<{
  version: string;
  data: RosterData;
  meta: Record<string, string>;
} | null> {
  const read = await readCurrentVersion<never>(redis, prefix, 'roster', districtId, ROSTER_ENTITIES);
  if (!read) return null;
  const data = emptyRoster();
  for (const entity of ROSTER_ENTITIES) {
    const target = rosterEntityMap(data, entity) as Map<string, unknown>;
    for (const [k, v] of read.parts[entity] ?? new Map<string, unknown>()) target.set(k, v);
  }
  return { version: read.version, data, meta: read.meta };
}
