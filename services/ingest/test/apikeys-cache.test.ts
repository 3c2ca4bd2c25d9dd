/** The key cache's pure logic, with a stand-in for Redis's HGET that counts lookups. */
import type { Redis } from 'ioredis';
import { ApiKeyStore, hashApiKey } from '../src/apikeys';

const record = { district_id: 'd1', source: 'agent', name: 'lab', created_at: '2026-01-01T00:00:00.000Z' };

function countingRedis(known: ReadonlyMap<string, string>) {
  let lookups = 0;
  const redis = {
    hget: async (_key: string, field: string) => {
      lookups += 1;
      return known.get(field) ?? null;
    },
  } as unknown as Redis;
  return { redis, lookups: () => lookups };
}

test('made-up keys never push a known key out of the cache', async () => {
  const key = 'a-real-device-key';
  const r = countingRedis(new Map([[hashApiKey(key), JSON.stringify(record)]]));
  const store = new ApiKeyStore(r.redis, 'edusage:', 60_000, 3);
  expect(await store.resolve(key)).toMatchObject({ district_id: 'd1' });
  // More unknown keys than the cache holds: the unknown ones are cleared, the known one stays.
  for (let i = 0; i < 10; i++) expect(await store.resolve(`made-up-${i}`)).toBeNull();
  const before = r.lookups();
  expect(await store.resolve(key)).toMatchObject({ district_id: 'd1' });
  expect(r.lookups()).toBe(before);
  // An unknown key is cached too (no second lookup within the cache time).
  await store.resolve('made-up-9');
  expect(r.lookups()).toBe(before);
});
