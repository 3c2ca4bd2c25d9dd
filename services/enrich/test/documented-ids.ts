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
