import { createHash, createHmac } from 'node:crypto';
import type { UserRef } from '@edusage/contracts';

/**
 * Pseudonymous person id: HMAC-SHA256(PSEUDONYM_KEY, "<district>|<canonical identifier>"), first 32
 * hex characters. The canonical identifier is the roster sourcedId when the person resolves (so every
 * identifier of one person gives the same id), else the first identifier the event carries, normalized
 * (see `canonicalUnresolvedIdentifier`). Other services that need to join on people (e.g. outcome
 * imports keyed by sourcedId) compute the same function.
 */
export function pseudonymize(key: string, districtId: string, canonical: string): string {
  return createHmac('sha256', key).update(`${districtId}|${canonical}`).digest('hex').slice(0, 32);
}

/** 32-hex digest of "<district>|<source>|<event_id>": source-level duplicates share it. */
export function dedupKey(districtId: string, source: string, eventId: string): string {
  return createHash('sha256').update(`${districtId}|${source}|${eventId}`).digest('hex').slice(0, 32);
}

/**
 * For a person not in the roster: the first identifier given, in the order sourced_id, email,
 * username, device_id; trimmed, and email/username lower-cased (they are case-insensitive logins).
 */
export function canonicalUnresolvedIdentifier(user: UserRef): string {
  if (user.sourced_id?.trim()) return user.sourced_id.trim();
  if (user.email?.trim()) return user.email.trim().toLowerCase();
  if (user.username?.trim()) return user.username.trim().toLowerCase();
  return (user.device_id ?? '').trim();
}
