import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Versioned datasets in Redis (roster and district catalog share the layout):
 *
 *   <prefix><kind>:districts                       set of districts that have one
 *   <prefix><kind>:<district>:current              the current version id
 *   <prefix><kind>:<district>:<version>:<part>     hash id → JSON, one per part (entity)
 *   <prefix><kind>:<district>:<version>:meta       hash: parts, written_at, summary fields
 *
 * A write fills a new version completely, then switches `current` atomically (with the district
 * set) and only then deletes older versions, so readers always see a whole version.
 */
export type DatasetKind = 'roster' | 'catalog';

const HSET_CHUNK = 1_000;
const PIPELINE_CHUNK = 50;
const SAFE_ID = /^[A-Za-z0-9_.-]{1,128}$/;

export function assertSafeDistrictId(districtId: string): void {
  if (!SAFE_ID.test(districtId)) {
    throw new Error(`district id "${districtId}" must be 1-128 letters, digits, ".", "_" or "-"`);
  }
}

export function datasetKeys(prefix: string, kind: DatasetKind, districtId: string) {
  const base = `${prefix}${kind}:${districtId}`;
  return {
    districts: `${prefix}${kind}:districts`,
    current: `${base}:current`,
    part: (version: string, part: string) => `${base}:${version}:${part}`,
    meta: (version: string) => `${base}:${version}:meta`,
    versionPattern: `${base}:*:meta`,
  };
}

/** Version ids sort by time: "<epoch ms, 13 digits>-<random>". */
export function newVersionId(now = Date.now()): string {
  return `${String(now).padStart(13, '0')}-${randomBytes(3).toString('hex')}`;
}

const SWITCH_SCRIPT = `
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return previous`;

export interface WriteResult {
  version: string;
  previous: string | null;
  deletedVersions: string[];
}

/** Writes all parts under a new version, switches `current` to it, then deletes older versions. */
export async function writeVersioned(
  redis: Redis,
  prefix: string,
  kind: DatasetKind,
  districtId: string,
  parts: Record<string, Iterable<[string, unknown]>>,
  meta: Record<string, string>,
  version: string = newVersionId(),
): Promise<WriteResult> {
  assertSafeDistrictId(districtId);
  const keys = datasetKeys(prefix, kind, districtId);
  let pipeline = redis.pipeline();
  let queued = 0;
  const flush = async () => {
    if (queued === 0) return;
    const results = await pipeline.exec();
    for (const [err] of results ?? []) if (err) throw err;
    pipeline = redis.pipeline();
    queued = 0;
  };
  for (const [part, entries] of Object.entries(parts)) {
    const key = keys.part(version, part);
    let fields: string[] = [];
    for (const [id, value] of entries) {
      fields.push(id, JSON.stringify(value));
      if (fields.length >= HSET_CHUNK * 2) {
        pipeline.hset(key, ...fields);
        fields = [];
        if (++queued >= PIPELINE_CHUNK) await flush();
      }
    }
    if (fields.length > 0) {
      pipeline.hset(key, ...fields);
      if (++queued >= PIPELINE_CHUNK) await flush();
    }
  }
  pipeline.hset(keys.meta(version), {
    ...meta,
    parts: Object.keys(parts).join(','),
    written_at: new Date().toISOString(),
  });
  queued++;
  await flush();

  const previous = (await redis.eval(SWITCH_SCRIPT, 2, keys.current, keys.districts, version, districtId)) as
    string | null;
  const deletedVersions = await deleteOldVersions(redis, prefix, kind, districtId, version, Object.keys(parts));
  return { version, previous, deletedVersions };
}

/**
 * Deletes every version older than `keep` (by version id order). Newer ones are left alone: they
 * may be an import still being written by another process.
 */
export async function deleteOldVersions(
  redis: Redis,
  prefix: string,
  kind: DatasetKind,
  districtId: string,
  keep: string,
  knownParts: string[],
): Promise<string[]> {
  const keys = datasetKeys(prefix, kind, districtId);
  const base = `${prefix}${kind}:${districtId}:`;
  const versions = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', keys.versionPattern, 'COUNT', 1000);
    cursor = next;
    for (const k of found) {
      const v = k.slice(base.length, -':meta'.length);
      if (v && v !== keep && v < keep && !v.includes(':')) versions.add(v);
    }
  } while (cursor !== '0');
  for (const v of versions) {
    const parts = ((await redis.hget(keys.meta(v), 'parts')) ?? '').split(',').filter(Boolean);
    const all = new Set([...parts, ...knownParts]);
    await redis.unlink(keys.meta(v), ...[...all].map((p) => keys.part(v, p)));
  }
  return [...versions];
}

/** Reads a hash with HSCAN (no long blocking call on big hashes), JSON-parsing values. */
export async function readHash<T>(redis: Redis, key: string): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(key, cursor, 'COUNT', 5000);
    cursor = next;
    for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i] as string, JSON.parse(flat[i + 1] as string) as T);
  } while (cursor !== '0');
  return out;
}

export interface VersionedRead<T> {
  version: string;
  meta: Record<string, string>;
  parts: Record<string, Map<string, T>>;
}

/**
 * Reads the current version of a dataset. If the version changes (or is deleted) while it is being
 * read, the read starts again, so the result is always one whole version. Null when there is none.
 */
export async function readCurrentVersion<T>(
  redis: Redis,
  prefix: string,
  kind: DatasetKind,
  districtId: string,
  parts: readonly string[],
): Promise<VersionedRead<T> | null> {
  const keys = datasetKeys(prefix, kind, districtId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const version = await redis.get(keys.current);
    if (!version) return null;
    const meta = await redis.hgetall(keys.meta(version));
    if (Object.keys(meta).length === 0) continue; // deleted under us
    const result: VersionedRead<T> = { version, meta, parts: {} };
    for (const p of parts) result.parts[p] = await readHash<T>(redis, keys.part(version, p));
    if ((await redis.get(keys.current)) === version && (await redis.exists(keys.meta(version))) === 1) return result;
  }
  throw new Error(`${kind} of district ${districtId} kept changing while being read`);
}

/** Current version ids of many districts in one round trip (for change polling). */
export async function currentVersions(
  redis: Redis,
  prefix: string,
  kind: DatasetKind,
  districtIds: readonly string[],
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (districtIds.length === 0) return out;
  const values = await redis.mget(...districtIds.map((d) => datasetKeys(prefix, kind, d).current));
  districtIds.forEach((d, i) => out.set(d, values[i] ?? null));
  return out;
}

export async function districtsWith(redis: Redis, prefix: string, kind: DatasetKind): Promise<string[]> {
  return redis.smembers(`${prefix}${kind}:districts`);
}
