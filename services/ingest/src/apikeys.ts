import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { SOURCES, type Source } from '@edusage/contracts';

/**
 * Per-source API keys. Only sha256(key) is stored, in the Redis hash `<REDIS_KEY_PREFIX>apikeys`
 * (field = hex digest, value = JSON record). The key itself is shown once, by `keys create`.
 */
export const apiKeyRecordSchema = z.object({
  district_id: z.string().min(1),
  source: z.enum(SOURCES),
  name: z.string(),
  created_at: z.string(),
  /**
   * Most events (items) the key may send a minute over HTTP; 0 = no limit. Absent: the service's
   * INGEST_KEY_EVENTS_PER_MINUTE. Set with `keys create --events-per-minute` or `keys limit`.
   */
  events_per_minute: z.number().int().min(0).optional(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

/** A key that authenticated a request: its record and its id (as `keys list` shows it). */
export interface ResolvedKey extends ApiKeyRecord {
  key_id: string;
}

export interface ApiKeyEntry extends ApiKeyRecord {
  /** First 12 hex digits of the key's sha256: names the key in `keys list` / `keys revoke`. */
  id: string;
  hash: string;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key: 32 random bytes, base64url (43 characters). */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

/** What the HTTP hot path needs: resolve a presented key to its record and id (or null). */
export interface KeyResolver {
  resolve(key: string): Promise<ResolvedKey | null>;
}

/** The id `keys list` shows for a key: the first 12 hex digits of its sha256. */
function keyIdOf(hash: string): string {
  return hash.slice(0, 12);
}

interface CachedLookup {
  record: ResolvedKey | null;
  expires: number;
}

export class ApiKeyStore implements KeyResolver {
  private readonly hashKey: string;
  /**
   * Lookups of known keys and of unknown ones, cached apart: a flood of made-up keys (anyone can send
   * them) fills and clears only the unknown ones, never the few known keys the devices send.
   */
  private readonly known = new Map<string, CachedLookup>();
  private readonly unknown = new Map<string, CachedLookup>();

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** Lookups (hits and misses) are cached this long; a revoked key may work until its entry expires. */
    private readonly cacheMs = 30_000,
    private readonly maxCacheEntries = 10_000,
  ) {
    this.hashKey = `${prefix}apikeys`;
  }

  async create(input: {
    districtId: string;
    source: Source;
    name: string;
    eventsPerMinute?: number;
    now?: Date;
  }): Promise<{ key: string; entry: ApiKeyEntry }> {
    const key = generateApiKey();
    const hash = hashApiKey(key);
    const record: ApiKeyRecord = apiKeyRecordSchema.parse({
      district_id: input.districtId,
      source: input.source,
      name: input.name,
      created_at: (input.now ?? new Date()).toISOString(),
      ...(input.eventsPerMinute !== undefined ? { events_per_minute: input.eventsPerMinute } : {}),
    });
    await this.redis.hset(this.hashKey, hash, JSON.stringify(record));
    return { key, entry: { ...record, id: keyIdOf(hash), hash } };
  }

  async list(): Promise<ApiKeyEntry[]> {
    const all = await this.redis.hgetall(this.hashKey);
    const entries: ApiKeyEntry[] = [];
    for (const [hash, json] of Object.entries(all)) {
      const record = parseRecord(json);
      if (record) entries.push({ ...record, id: keyIdOf(hash), hash });
    }
    return entries.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /**
   * Removes a key named by its id (a prefix of at least 8 hex digits of its hash, as `keys list`
   * shows) or by the key itself. Returns the removed entries; throws if an id prefix is ambiguous.
   */
  async revoke(idOrKey: string): Promise<ApiKeyEntry[]> {
    const targets = await this.find(idOrKey);
    for (const t of targets) {
      await this.redis.hdel(this.hashKey, t.hash);
      this.known.delete(t.hash);
    }
    return targets;
  }

  /**
   * Sets the events-per-minute limit of a key named as for `revoke` (null: back to the service's
   * default). Returns the changed entries. Running servers apply it once their cached lookup expires.
   */
  async setLimit(idOrKey: string, eventsPerMinute: number | null): Promise<ApiKeyEntry[]> {
    const targets = await this.find(idOrKey);
    const changed: ApiKeyEntry[] = [];
    for (const { id, hash, events_per_minute: _old, ...rest } of targets) {
      const record: ApiKeyRecord = apiKeyRecordSchema.parse({
        ...rest,
        ...(eventsPerMinute !== null ? { events_per_minute: eventsPerMinute } : {}),
      });
      await this.redis.hset(this.hashKey, hash, JSON.stringify(record));
      this.known.delete(hash);
      changed.push({ ...record, id, hash });
    }
    return changed;
  }

  /** The entries an id (8+ hex digits of the hash) or a key names; throws if an id prefix is ambiguous. */
  private async find(idOrKey: string): Promise<ApiKeyEntry[]> {
    const entries = await this.list();
    const byKey = entries.filter((e) => e.hash === hashApiKey(idOrKey));
    if (byKey.length > 0 || !/^[0-9a-f]{8,64}$/.test(idOrKey)) return byKey;
    const targets = entries.filter((e) => e.hash.startsWith(idOrKey));
    if (targets.length > 1) throw new Error(`id ${idOrKey} matches ${targets.length} keys; give more digits`);
    return targets;
  }

  async resolve(key: string): Promise<ResolvedKey | null> {
    const hash = hashApiKey(key);
    const now = Date.now();
    const cached = this.known.get(hash) ?? this.unknown.get(hash);
    if (cached && cached.expires > now) return cached.record;
    // A Redis error propagates: the caller answers 503 (cannot check), never 401 (wrong key).
    const json = await this.redis.hget(this.hashKey, hash);
    const parsed = json === null ? null : parseRecord(json);
    const record = parsed === null ? null : { ...parsed, key_id: keyIdOf(hash) };
    if (this.cacheMs > 0) {
      const cache = record === null ? this.unknown : this.known;
      (record === null ? this.known : this.unknown).delete(hash);
      if (cache.size >= this.maxCacheEntries) evictExpired(cache, now);
      if (cache.size >= this.maxCacheEntries) cache.clear();
      cache.set(hash, { record, expires: now + this.cacheMs });
    }
    return record;
  }
}

function evictExpired(cache: Map<string, CachedLookup>, now: number): void {
  for (const [hash, entry] of cache) if (entry.expires <= now) cache.delete(hash);
}

function parseRecord(json: string): ApiKeyRecord | null {
  try {
    const parsed = apiKeyRecordSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The API key candidates a request presents, and how (the 401 challenge answers in the same scheme). */
export interface PresentedCredentials {
  scheme: 'bearer' | 'basic' | 'header';
  /** Tried in order; the first known key authenticates the request. */
  candidates: string[];
}

/**
 * Reads the API key from `Authorization: Bearer <key>`, `Authorization: Basic …` or `x-api-key`.
 * Basic auth is how LMS and LRS emitters (Moodle logstore_xapi, Open edX event routing, xAPI client
 * libraries) are configured: a username and a password. The key may be either; both are tried
 * (password first), so "username = any label, password = key" and "username = key, empty password"
 * both work. Returns null when no credentials are presented (or Basic credentials are not base64).
 */
export function presentedCredentials(
  headers: Record<string, string | string[] | undefined>,
): PresentedCredentials | null {
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (bearer) return { scheme: 'bearer', candidates: [bearer[1]!] };
    const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(auth);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const username = (colon >= 0 ? decoded.slice(0, colon) : decoded).trim();
      const password = (colon >= 0 ? decoded.slice(colon + 1) : '').trim();
      const candidates = [...new Set([password, username].filter((c) => c.length > 0))];
      if (candidates.length > 0) return { scheme: 'basic', candidates };
    }
  }
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header.trim().length > 0) return { scheme: 'header', candidates: [header.trim()] };
  return null;
}
