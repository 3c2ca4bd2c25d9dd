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
 * (see `unresolvedPersonId`). Other services that need to join on people (e.g. outcome
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
 * Event ids get a key of their own, derived from PSEUDONYM_KEY (`HMAC-SHA256(key, "edusage event_id key
 * v1")`, 32 bytes): no event_id can then coincide with a person_id, a dedup_key or the key fingerprint,
 * whatever id a sender chose (a sender that sends its student's sourcedId as event_id still gets no
 * person_id in that column).
 */
const EVENT_ID_KEY_LABEL = 'edusage event_id key v1';
const eventIdKeys = new Map<string, KeyObject>();
function eventIdKey(key: string): KeyObject {
  let k = eventIdKeys.get(key);
  if (k === undefined) {
    k = createSecretKey(createHmac('sha256', keyObject(key)).update(EVENT_ID_KEY_LABEL).digest());
    eventIdKeys.set(key, k);
  }
  return k;
}

/**
 * The event_id enrich writes (usage.enriched, so ClickHouse `usage_events.event_id`): first 32 hex of
 * HMAC-SHA256(event-id key above, JSON `[district, source, sent event_id]`). Never the sent id: adapters
 * derive ids from personal data where a source has no id of its own (Google Classroom: sha256 of email
 * and instant; Schoology: of the Schoology user id, action and instant; proxy lines: of the username,
 * host and minute), and senders choose theirs freely, so an unkeyed id would let anyone who reads
 * usage_events hash a list of emails with each row's occurred_at and link an email to its person_id.
 * Stable for a sent id under one key (copies of an event keep it; whoever holds the key can find the
 * stored row of a sent id); the user is not part of it, so two people's events sent with one id share
 * it, as they shared the sent id (dedup_key tells them apart).
 */
export function enrichedEventId(key: string, districtId: string, source: string, eventId: string): string {
  return createHmac('sha256', eventIdKey(key))
    .update(JSON.stringify([districtId, source, eventId]))
    .digest('hex')
    .slice(0, 32);
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

/** The first identifier an event carries, in the order sourced_id, email, username, device_id, normalized. */
function firstIdentifier(user: UserRef): { field: keyof UserRef; id: string } {
  if (user.sourced_id?.trim()) return { field: 'sourced_id', id: user.sourced_id.trim() };
  if (user.email?.trim()) return { field: 'email', id: user.email.trim().toLowerCase() };
  if (user.username?.trim()) return { field: 'username', id: user.username.trim().toLowerCase() };
  return { field: 'device_id', id: (user.device_id ?? '').trim() };
}

/**
 * The sender's identifier, as the event identity and its Kafka key use it (`dedupKey`,
 * `senderPartitionKey`): the first identifier given, in the order sourced_id, email, username,
 * device_id; trimmed, and email/username lower-cased (they are case-insensitive logins). Never changed
 * for device ids: copies of an event must keep their partition and duplicate key across upgrades.
 */
export function canonicalUnresolvedIdentifier(user: UserRef): string {
  return firstIdentifier(user).id;
}

/**
 * What an unresolved person's person_id is the pseudonym of: their canonical identifier, but
 * `device:<id>` for a sender known only by a device id, so a device id that equals a student's sourcedId
 * (or any person identifier) never gets that person's id, counts and erasure.
 */
export function unresolvedPersonCanonical(user: UserRef): string {
  const first = firstIdentifier(user);
  return first.field === 'device_id' ? `device:${first.id}` : first.id;
}

/** person_id of a sender the roster does not know: enrich, `roster reresolve` and `people erase` use this one rule. */
export function unresolvedPersonId(key: string, districtId: string, user: UserRef): string {
  return pseudonymize(key, districtId, unresolvedPersonCanonical(user));
}
