import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { UserRef } from '@edusage/contracts';
import { BoundedMap } from '@edusage/runtime';

/** The key as a KeyObject, made once (createHmac with a string key imports it on every call). */
const keyObjects = new Map<string, KeyObject>();
function keyObject(key: string): KeyObject {
  let k = keyObjects.get(key);
  if (k === undefined) {
    k = createSecretKey(Buffer.from(key, 'utf8'));
    keyObjects.set(key, k);
  }
  return k;
}

const hmac32 = (key: string, text: string) =>
  createHmac('sha256', keyObject(key)).update(text).digest('hex').slice(0, 32);

/**
 * Pseudonyms already computed, per key: a person's or sender's comes back with each of their events
 * (an HMAC is ~2 us, an event's whole enrichment ~50 us). Bounded: forgotten when full.
 */
const pseudonyms = new Map<string, BoundedMap<string, string>>();
const PSEUDONYMS_KEPT = 20_000;

/**
 * Pseudonymous person id: HMAC-SHA256(PSEUDONYM_KEY, "<district>|<canonical identifier>"), first 32
 * hex characters. The canonical identifier is the roster sourcedId when the person resolves (so every
 * identifier of one person gives the same id), else the first identifier the event carries, normalized
 * (see `canonicalUnresolvedIdentifier`). Other services that need to join on people (e.g. outcome
 * imports keyed by sourcedId) compute the same function.
 */
export function pseudonymize(key: string, districtId: string, canonical: string): string {
  return keptPseudonym(key, `${districtId}|${canonical}`);
}

/** pseudonymize without keeping the answer: for a whole roster at once, which would only push out senders. */
export function pseudonymizeOnce(key: string, districtId: string, canonical: string): string {
  return hmac32(key, `${districtId}|${canonical}`);
}

function keptPseudonym(key: string, text: string): string {
  let known = pseudonyms.get(key);
  if (known === undefined) {
    known = new BoundedMap(PSEUDONYMS_KEPT);
    pseudonyms.set(key, known);
  }
  return known.get(text) ?? known.set(text, hmac32(key, text));
}

/**
 * An event's identity for duplicate removal (docs/ARCHITECTURE.md "Duplicate events"): HMAC-SHA256
 * (PSEUDONYM_KEY) of district, source, the sender's identifier (`canonicalUnresolvedIdentifier`) and
 * event_id, first 32 hex characters. Copies of an event carry the same user, so they share it; the same
 * event_id sent for two people is two events. Keyed, because it contains a raw identifier.
 */
export function dedupKey(key: string, districtId: string, source: string, user: UserRef, eventId: string): string {
  const identity = JSON.stringify([districtId, source, canonicalUnresolvedIdentifier(user), eventId]);
  return hmac32(key, identity);
}

/**
 * The usage.enriched message key: district and the pseudonym of the identifier the event was sent with
 * (not the roster person_id, which changes when a roster load resolves the sender). Copies of an event
 * thus always share a partition, which the aggregate's per-partition duplicate check relies on, and one
 * sender's events keep their order, as on usage.raw.
 */
export function senderPartitionKey(key: string, districtId: string, user: UserRef): string {
  return `${districtId}|${pseudonymize(key, districtId, canonicalUnresolvedIdentifier(user))}`;
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
