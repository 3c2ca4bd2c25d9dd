import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The PSEUDONYM_KEY value docker-compose.yml runs with when no `.env` sets one. It is public, so
 * pseudonyms made with it protect nobody: the config refuses it (infra/test/compose.test.ts keeps
 * this constant equal to docker-compose.yml's).
 */
export const COMPOSE_PLACEHOLDER_PSEUDONYM_KEY = 'change-me-to-a-long-random-secret';

/** Redis key (under REDIS_KEY_PREFIX, beside the rosters) of the fingerprint recorded at first start. */
export const FINGERPRINT_KEY = 'pseudonym-key:fingerprint';

/**
 * Identifies a key without revealing it: HMAC-SHA256 under the key of a fixed text. Equal keys give
 * equal fingerprints; the key cannot be read back from it.
 */
export function pseudonymKeyFingerprint(key: string): string {
  return createHmac('sha256', key).update('edusage pseudonym key fingerprint v1').digest('hex');
}

/** Thrown when PSEUDONYM_KEY is not the key this deployment's people were pseudonymized with. */
export class PseudonymKeyChangedError extends Error {
  constructor(
    readonly recorded: { fingerprint: string; recorded_at: string },
    readonly current: string,
  ) {
    super(
      `PSEUDONYM_KEY is not the key recorded at first start (${recorded.recorded_at}; fingerprint ` +
        `${recorded.fingerprint.slice(0, 12)}…, this key's ${current.slice(0, 12)}…). Every person would get a ` +
        `second person_id and their history would be split in two. Restore the PSEUDONYM_KEY this deployment ` +
        `started with. Only for a deliberate re-key (after removing or re-deriving every stored person_id, see ` +
        `services/enrich/README.md "Pseudonym key"), run: enrich pseudonym-key rekey --confirm-split`,
    );
    this.name = 'PseudonymKeyChangedError';
  }
}

export interface KeyScope {
  redis: Redis;
  /** REDIS_KEY_PREFIX: one deployment (tests: one suite). */
  prefix: string;
  key: string;
}

/**
 * At first start records the key's fingerprint (SET NX, so two processes starting at once agree on
 * one); later starts compare and throw {@link PseudonymKeyChangedError} on a different key.
 */
export async function recordOrCheckPseudonymKey(scope: KeyScope): Promise<void> {
  const current = pseudonymKeyFingerprint(scope.key);
  const record = JSON.stringify({ fingerprint: current, recorded_at: new Date().toISOString() });
  const redisKey = `${scope.prefix}${FINGERPRINT_KEY}`;
  if ((await scope.redis.set(redisKey, record, 'NX')) === 'OK') return;
  const stored = await scope.redis.get(redisKey);
  const recorded = parseRecord(stored);
  if (recorded.fingerprint !== current) throw new PseudonymKeyChangedError(recorded, current);
}

/**
 * Compares the key with the recorded one without recording anything (a command that only reads):
 * throws {@link PseudonymKeyChangedError} on a different key; no record yet passes.
 */
export async function checkPseudonymKey(scope: KeyScope): Promise<void> {
  const stored = await scope.redis.get(`${scope.prefix}${FINGERPRINT_KEY}`);
  if (stored === null) return;
  const recorded = parseRecord(stored);
  const current = pseudonymKeyFingerprint(scope.key);
  if (recorded.fingerprint !== current) throw new PseudonymKeyChangedError(recorded, current);
}

/** The deliberate re-key: records the current key's fingerprint in place of the old one. */
export async function replacePseudonymKeyRecord(scope: KeyScope): Promise<void> {
  const record = { fingerprint: pseudonymKeyFingerprint(scope.key), recorded_at: new Date().toISOString() };
  await scope.redis.set(`${scope.prefix}${FINGERPRINT_KEY}`, JSON.stringify(record));
}

function parseRecord(text: string | null): { fingerprint: string; recorded_at: string } {
  try {
    const v = JSON.parse(text ?? '') as { fingerprint?: unknown; recorded_at?: unknown };
    if (typeof v.fingerprint === 'string') return { fingerprint: v.fingerprint, recorded_at: String(v.recorded_at) };
  } catch {
    // fall through: an unreadable record is refused like a different key, never overwritten
  }
  return { fingerprint: '(unreadable record)', recorded_at: 'unknown' };
}
