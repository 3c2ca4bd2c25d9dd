import type { Redis } from 'ioredis';

/** Deletes the lock only while it still holds this run's token (a lock that expired and was retaken stays). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Runs `work` while holding the Redis lock `key` (SET NX PX), so two runs of one job never overlap: a
 * manual job beside the scheduled one, two jobs processes, or a stalled job run again while the first
 * still works. The lock expires after `ttlMs` if its process dies.
 */
export async function withRunLock<T>(
  redis: Redis,
  key: string,
  token: string,
  ttlMs: number,
  work: () => Promise<T>,
): Promise<T> {
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    // The job fails with this message; a scheduled one is retried by its attempts.
    throw new Error(`another run holds ${key} (${await redis.get(key)}); not run at the same time`);
  }
  try {
    return await work();
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}
