import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { BoundedMap } from '@edusage/runtime';

export const ROLES = ['admin', 'director', 'school', 'researcher'] as const;
export type Role = (typeof ROLES)[number];

/** District and school ids end up in SQL literals (escaped) and URLs: plain ids only. */
export const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/**
 * What a token may see. Stored as JSON in the Redis hash `<REDIS_KEY_PREFIX>api:tokens`, field =
 * sha256(token) in hex: the token itself is shown once, at creation, and never stored.
 */
export const tokenRecordSchema = z
  .object({
    district_id: z.string().regex(PLAIN_ID),
    role: z.enum(ROLES),
    /** The one school of a `school` token; '' for every other role. */
    school_id: z.string(),
    name: z.string().max(200),
    created_at: z.string(),
  })
  .refine((t) => (t.role === 'school') === (t.school_id !== ''), {
    message: 'a school token needs a school_id, other roles none',
    path: ['school_id'],
  })
  .refine((t) => t.school_id === '' || PLAIN_ID.test(t.school_id), {
    message: 'not a plain id',
    path: ['school_id'],
  });
export type TokenRecord = z.infer<typeof tokenRecordSchema>;

/** An authenticated caller: the record and the token's id (12 hex digits of its hash, never the token). */
export interface Principal extends TokenRecord {
  token_id: string;
}

export interface TokenEntry extends Principal {
  hash: string;
}

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** `eds_` + 32 random bytes (base64url): the prefix lets secret scanners recognise a leaked token. */
export const generateToken = () => `eds_${randomBytes(32).toString('base64url')}`;

const TOKEN_SHAPE = /^eds_[A-Za-z0-9_-]{43}$/;

export class TokenStore {
  private readonly hashKey: string;
  private readonly cache: BoundedMap<string, { principal: Principal | null; expires: number }>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** Lookups are cached this long; a token revoked elsewhere may work until its entry expires. */
    private readonly cacheMs = 5_000,
    maxCacheEntries = 10_000,
  ) {
    this.hashKey = `${prefix}api:tokens`;
    this.cache = new BoundedMap(maxCacheEntries);
  }

  async create(input: { districtId: string; role: Role; schoolId?: string; name: string; now?: Date }) {
    const record = tokenRecordSchema.parse({
      district_id: input.districtId,
      role: input.role,
      school_id: input.schoolId ?? '',
      name: input.name,
      created_at: (input.now ?? new Date()).toISOString(),
    });
    const token = generateToken();
    const hash = hashToken(token);
    await this.redis.hset(this.hashKey, hash, JSON.stringify(record));
    return { token, entry: { ...record, token_id: hash.slice(0, 12), hash } satisfies TokenEntry };
  }

  /** Every token (of one district when given), oldest first. */
  async list(districtId?: string): Promise<TokenEntry[]> {
    const all = await this.redis.hgetall(this.hashKey);
    const entries: TokenEntry[] = [];
    for (const [hash, json] of Object.entries(all)) {
      const record = parseRecord(json);
      if (record && (districtId === undefined || record.district_id === districtId))
        entries.push({ ...record, token_id: hash.slice(0, 12), hash });
    }
    return entries.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.hash.localeCompare(b.hash));
  }

  /**
   * Removes the token whose id (12 hex digits, as `list` shows) matches, within `districtId` when given
   * (an admin token revokes only its own district's). Returns the removed entry, or null.
   */
  async revoke(tokenId: string, districtId?: string): Promise<TokenEntry | null> {
    if (!/^[0-9a-f]{12}$/.test(tokenId)) return null;
    const target = (await this.list(districtId)).find((e) => e.token_id === tokenId);
    if (!target) return null;
    await this.redis.hdel(this.hashKey, target.hash);
    this.cache.delete(target.hash);
    return target;
  }

  /** The principal of a presented token, or null. A Redis error propagates (the caller answers 503, not 401). */
  async resolve(token: string): Promise<Principal | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    return this.resolveHash(hashToken(token));
  }

  /** The principal of a token given by its SHA-256 (hex), as a dashboard session keeps it; or null. */
  async resolveHash(hash: string): Promise<Principal | null> {
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.expires > now) return cached.principal;
    const json = await this.redis.hget(this.hashKey, hash);
    const record = json === null ? null : parseRecord(json);
    const principal = record ? { ...record, token_id: hash.slice(0, 12) } : null;
    if (this.cacheMs > 0) {
      this.cache.set(hash, { principal, expires: now + this.cacheMs });
    }
    return principal;
  }
}

function parseRecord(json: string): TokenRecord | null {
  try {
    const parsed = tokenRecordSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The token of `Authorization: Bearer <token>`, or null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer\s+(\S{1,200})\s*$/i.exec(header);
  return m ? m[1]! : null;
}
