import type { Redis } from 'ioredis';

/**
 * The pseudonyms of erased people, per district, in Redis (docs/ARCHITECTURE.md "Erasing a person"):
 *
 *   <prefix>erased:districts          set of districts that have erased people
 *   <prefix>erased:<district>         set of pseudonyms whose events enrich drops
 *
 * The sets only grow (an erasure is not undone), so a changed size is a changed set: the worker checks
 * the sizes every few seconds and reads a set again only when its size moved. `person_erasures` in
 * ClickHouse is the record; `people erase` writes these sets again from it every time it runs.
 */
export function erasedKeys(prefix: string, districtId: string) {
  return { districts: `${prefix}erased:districts`, set: `${prefix}erased:${districtId}` };
}

export async function addErased(
  redis: Redis,
  prefix: string,
  districtId: string,
  personIds: readonly string[],
): Promise<void> {
  if (personIds.length === 0) return;
  const keys = erasedKeys(prefix, districtId);
  const results = await redis
    .multi()
    .sadd(keys.set, ...personIds)
    .sadd(keys.districts, districtId)
    .exec();
  for (const [err] of results ?? []) if (err) throw err;
}

/** Each district's number of erased pseudonyms (the districts set's members and `also`). */
export async function erasedSizes(redis: Redis, prefix: string, also: Iterable<string>): Promise<Map<string, number>> {
  const districts = [...new Set([...(await redis.smembers(erasedKeys(prefix, '').districts)), ...also])];
  const sizes = new Map<string, number>();
  if (districts.length === 0) return sizes;
  const pipeline = redis.pipeline();
  for (const d of districts) pipeline.scard(erasedKeys(prefix, d).set);
  const results = (await pipeline.exec()) ?? [];
  districts.forEach((d, i) => {
    const [err, n] = results[i] ?? [new Error('no answer'), 0];
    if (err) throw err;
    sizes.set(d, Number(n));
  });
  return sizes;
}

export async function loadErased(redis: Redis, prefix: string, districtId: string): Promise<Set<string>> {
  return new Set(await redis.smembers(erasedKeys(prefix, districtId).set));
}
