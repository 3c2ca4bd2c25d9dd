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
 * set) and only then deletes older versions, so readers always see a whole version. The switch
 * refuses when `current` already names a newer version or the new version's data is gone (another
 * import finished first and deleted it): concurrent imports of one district end with the newest.
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

/**
 * Version order: by the epoch-ms prefix as a number (ids written by hand or by other code need not be
 * padded), then as text. The switch script below applies the same rule.
 */
export function compareVersionIds(a: string, b: string): number {
  const byTime = versionMs(a) - versionMs(b);
  if (byTime !== 0) return Math.sign(byTime);
  return a < b ? -1 : a > b ? 1 : 0;
}

function versionMs(version: string): number {
  const m = /^(\d+)-/.exec(version);
  return m ? Number(m[1]) : -1;
}

// KEYS: current, districts set, the new version's meta. ARGV: version, district.
// Returns {outcome, previous or ''}; 'newer' and 'gone' leave everything as it was.
const SWITCH_SCRIPT = `
local function ms(v) return tonumber(string.match(v, '^(%d+)%-')) or -1 end
local function newer(a, b)
  local ma, mb = ms(a), ms(b)
  if ma ~= mb then return ma > mb end
  return a > b
end
local previous = redis.call('GET', KEYS[1])
if previous and previous ~= ARGV[1] and newer(previous, ARGV[1]) then return {'newer', previous} end
if redis.call('EXISTS', KEYS[3]) == 0 then return {'gone', previous or ''} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return {'ok', previous or ''}`;

/** An import whose version was not made current; its keys are deleted, nothing else changed. */
export class VersionSwitchRefusedError extends Error {
  constructor(
    readonly kind: DatasetKind,
    readonly districtId: string,
    readonly version: string,
    readonly why: 'newer' | 'gone',
    readonly current: string | null,
  ) {
    super(
      `${kind} of district ${districtId} not switched to ${version}: ` +
        (why === 'newer'
          ? `a newer import (${current}) finished first; this one changed nothing — import again if this file is the newer one`
          : `its data no longer exists (deleted by another import before the switch); this one changed nothing — import again`),
    );
  }
}

/** `current` names a version whose data is gone: no retry helps, only a new import. */
export class VersionMissingError extends Error {
  constructor(
    readonly kind: DatasetKind,
    readonly districtId: string,
    readonly version: string,
  ) {
    super(`current version ${version} of district ${districtId} has no data: import its ${kind} again`);
  }
}

export interface WriteResult {
  version: string;
  previous: string | null;
  deletedVersions: string[];
}

/**
 * Writes all parts under a new version, switches `current` to it, then deletes older versions.
 * Throws {@link VersionSwitchRefusedError} (having deleted its own keys) when a newer version is
 * current already or this one's data was deleted meanwhile.
 */
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
  await writeParts(redis, keys, version, parts, meta);
  const [outcome, previous] = (await redis.eval(
    SWITCH_SCRIPT,
    3,
    keys.current,
    keys.districts,
    keys.meta(version),
    version,
    districtId,
  )) as [string, string];
  if (outcome !== 'ok') {
    // Never current, never to be: nobody reads these keys.
    await unlinkVersion(redis, keys, version, Object.keys(parts));
    throw new VersionSwitchRefusedError(
      kind,
      districtId,
      version,
      outcome === 'newer' ? 'newer' : 'gone',
      previous || null,
    );
  }
  const deletedVersions = await deleteOldVersions(redis, prefix, kind, districtId, version, Object.keys(parts));
  return { version, previous: previous || null, deletedVersions };
}

type Keys = ReturnType<typeof datasetKeys>;

/** The parts' hashes, then the meta hash last (its presence means the version is whole). */
async function writeParts(
  redis: Redis,
  keys: Keys,
  version: string,
  parts: Record<string, Iterable<[string, unknown]>>,
  meta: Record<string, string>,
): Promise<void> {
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
}

/** Deletes one version's meta and parts in one UNLINK (so a reader never sees meta without parts). */
async function unlinkVersion(redis: Redis, keys: Keys, version: string, knownParts: string[]): Promise<void> {
  const parts = ((await redis.hget(keys.meta(version), 'parts')) ?? '').split(',').filter(Boolean);
  const all = new Set([...parts, ...knownParts]);
  await redis.unlink(keys.meta(version), ...[...all].map((p) => keys.part(version, p)));
}

/**
 * Deletes every version older than `keep` (by {@link compareVersionIds}). Newer ones are left alone:
 * they may be an import still being written by another process.
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
      if (v && !v.includes(':') && compareVersionIds(v, keep) < 0) versions.add(v);
    }
  } while (cursor !== '0');
  for (const v of versions) await unlinkVersion(redis, keys, v, knownParts);
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
 * Throws {@link VersionMissingError} when `current` names a version without data on every attempt.
 */
export async function readCurrentVersion<T>(
  redis: Redis,
  prefix: string,
  kind: DatasetKind,
  districtId: string,
  parts: readonly string[],
): Promise<VersionedRead<T> | null> {
  const keys = datasetKeys(prefix, kind, districtId);
  const ATTEMPTS = 5;
  let missing = 0;
  let version: string | null = null;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    version = await redis.get(keys.current);
    if (!version) return null;
    const meta = await redis.hgetall(keys.meta(version));
    if (Object.keys(meta).length === 0) {
      missing++; // deleted under us (the next attempt reads the new current), or gone for good
      continue;
    }
    const result: VersionedRead<T> = { version, meta, parts: {} };
    for (const p of parts) result.parts[p] = await readHash<T>(redis, keys.part(version, p));
    if ((await redis.get(keys.current)) === version && (await redis.exists(keys.meta(version))) === 1) return result;
  }
  if (missing === ATTEMPTS && version) throw new VersionMissingError(kind, districtId, version);
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
