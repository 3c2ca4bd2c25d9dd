import type { Redis } from 'ioredis';

export interface Claim {
  /** The event's source-level identity (EnrichedEvent.dedup_key). */
  key: string;
  /** The message that claims it: "<topic>/<partition>/<offset>" of the enriched message. */
  owner: string;
}

/**
 * Claims each event identity for the message carrying it (Redis `SET key owner NX GET EX ttl`).
 * Returns, per claim, whether that message owns the event: the first claim wins, and the same message
 * delivered again finds its own name and still owns it, so a redelivery is processed while any other copy
 * (a re-sent batch, a re-imported file, an event re-produced by enrich) is recognised as a duplicate.
 * Within one call, a later claim of a key already claimed earlier in the same call is a duplicate too.
 */
export async function claimEvents(
  redis: Redis,
  prefix: string,
  claims: readonly Claim[],
  ttlSeconds: number,
): Promise<boolean[]> {
  if (claims.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const c of claims)
    pipeline.call('SET', `${prefix}dedup:${c.key}`, c.owner, 'NX', 'GET', 'EX', String(ttlSeconds));
  const replies = (await pipeline.exec()) ?? [];
  return claims.map((c, i) => {
    const reply = replies[i];
    if (!reply) throw new Error('Redis pipeline returned fewer replies than commands');
    const [err, previous] = reply;
    if (err) throw err;
    return previous === null || previous === c.owner;
  });
}
