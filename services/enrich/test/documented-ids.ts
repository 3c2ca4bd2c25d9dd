/**
 * The identifiers enrich writes, computed here from their documented definitions
 * (docs/ARCHITECTURE.md "Privacy" and "Duplicate events", services/enrich/README.md) with node:crypto
 * alone, so tests compare the code against the definition instead of against itself.
 */
import { createHmac } from 'node:crypto';

const hmac32 = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex').slice(0, 32);

/** person_id: the first 32 hex digits of HMAC-SHA256(key, "<district>|<canonical identifier>"). */
export function documentedPseudonym(key: string, districtId: string, canonical: string): string {
  return hmac32(key, `${districtId}|${canonical}`);
}

/** dedup_key: HMAC-SHA256(key, JSON [district, source, canonical sender identifier, event_id]), 32 hex. */
export function documentedDedupKey(
  key: string,
  districtId: string,
  source: string,
  canonical: string,
  eventId: string,
): string {
  return hmac32(key, JSON.stringify([districtId, source, canonical, eventId]));
}

/**
 * event_id as stored (usage.enriched, usage_events): the first 32 hex digits of
 * HMAC-SHA256(K, JSON [district, source, sent event_id]) with K = HMAC-SHA256(key, "edusage event_id key v1")
 * (32 bytes): a key of its own, so no event_id can equal a person_id, a dedup_key or the key fingerprint.
 */
export function documentedEventId(key: string, districtId: string, source: string, eventId: string): string {
  const eventIdKey = createHmac('sha256', key).update('edusage event_id key v1').digest();
  return createHmac('sha256', eventIdKey)
    .update(JSON.stringify([districtId, source, eventId]))
    .digest('hex')
    .slice(0, 32);
}
