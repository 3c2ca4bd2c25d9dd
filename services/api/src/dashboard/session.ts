import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** Signed-in sessions last this long (then sign in again). */
export const SESSION_SECONDS = 8 * 3600;
export const SESSION_COOKIE = 'eds_session';

const sessionSchema = z.object({ token_hash: z.string().regex(/^[0-9a-f]{64}$/), csrf: z.string().min(32) });
export type Session = z.infer<typeof sessionSchema>;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * Dashboard sessions in Redis (`<prefix>dashboard:session:<sha256(id)>`, expiring): the browser holds
 * only a random id in an HttpOnly cookie; the session holds the token's hash (never the token), so a
 * revoked token ends its sessions at the next page, and a per-session CSRF token for POST forms.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string) {
    return `${this.prefix}dashboard:session:${sha256(id)}`;
  }

  async create(tokenHash: string): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session = { token_hash: tokenHash, csrf: randomBytes(24).toString('base64url') };
    await this.redis.set(this.key(id), JSON.stringify(session), 'EX', SESSION_SECONDS);
    return { id, session };
  }

  async get(id: string | undefined): Promise<Session | null> {
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const json = await this.redis.get(this.key(id));
    if (json === null) return null;
    try {
      const parsed = sessionSchema.safeParse(JSON.parse(json));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}

/** Constant-time comparison of the form's CSRF token with the session's. */
export function csrfMatches(session: Session, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
