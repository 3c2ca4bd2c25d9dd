import type { Redis } from 'ioredis';

/**
 * Deletes every key under `prefix` (SCAN + UNLINK, so a large keyspace neither blocks Redis nor
 * needs KEYS). Used to reset the demo's, the benchmark's and a test suite's own keyspace.
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  if (prefix.length === 0) throw new Error('refusing to delete every key: empty prefix');
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) deleted += await redis.unlink(...found);
  } while (cursor !== '0');
  return deleted;
}

export { giveBackToWindow, takeFromWindow, type WindowAnswer } from './fixed-window';
