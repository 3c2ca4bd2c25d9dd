import type { Redis } from 'ioredis';

/** Deletes the lock only while it still holds this run's token (a lock that expired and was retaken stays). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/**
 * Extends the lock while it holds this run's token, and takes it again when it lapsed (Redis was out of
 * reach for longer than the expiry) and nobody took it meanwhile.
 */
const RENEW = `local held = redis.call('get', KEYS[1])
if held == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if not held then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

/** Another run holds the lock. */
export class RunLockHeldError extends Error {
  constructor(
    readonly key: string,
    readonly holder: string | null,
  ) {
    super(`another run holds ${key} (${holder}); not run at the same time`);
    this.name = 'RunLockHeldError';
  }
}

/**
 * Runs `work` while holding the Redis lock `key` (SET NX PX), so two runs of one job never overlap: a
 * manual job beside the scheduled one, two jobs processes, or a stalled job run again while the first
 * still works. The lock is extended every third of `ttlMs` while the work runs, so work longer than
 * `ttlMs` keeps it, and it expires `ttlMs` after its process died.
 */
export async function withRunLock<T>(
  redis: Redis,
  key: string,
  token: string,
  ttlMs: number,
  work: () => Promise<T>,
): Promise<T> {
  // The job fails with this error; a scheduled one is retried by its attempts.
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') throw new RunLockHeldError(key, await redis.get(key));
  const renewal = setInterval(
    () => void redis.eval(RENEW, 1, key, token, String(ttlMs)).catch(() => undefined),
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  renewal.unref();
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    await redis.eval(RELEASE, 1, key, token);
  }
}
