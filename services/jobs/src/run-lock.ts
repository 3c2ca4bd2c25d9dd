import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Deletes the lock only while it still holds this run's token (a lock that expired and was retaken stays). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/**
 * Extends the lock only while it holds this run's token. A lock that lapsed is never taken back: another
 * run may have taken it and let go meanwhile, so this run can no longer know it was alone.
 */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
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

/** The run's lock lapsed (its process stalled past the expiry, or Redis was out of reach that long). */
export class RunLockLostError extends Error {
  constructor(readonly key: string) {
    super(
      `lost the run lock ${key} while running (it expired: the process stalled or Redis was out of reach); stopped, as another run may be doing the same work`,
    );
    this.name = 'RunLockLostError';
  }
}

/**
 * The lock's value: the holder's label (shown to a refused run) and a random part, so two runs with the
 * same label (a stalled job run again keeps its job id) never share a token.
 */
const runToken = (holder: string) => `${holder} run ${randomBytes(8).toString('hex')}`;

/** Renews every third of `ttlMs`; aborts `lost` the first time the lock is found not to be this run's. */
function keepRenewed(redis: Redis, key: string, token: string, ttlMs: number, lost: AbortController): NodeJS.Timeout {
  const renewal = setInterval(
    () => {
      redis.eval(RENEW, 1, key, token, String(ttlMs)).then(
        (extended) => {
          if (extended !== 1 && !lost.signal.aborted) lost.abort(new RunLockLostError(key));
        },
        // Redis out of reach: the next renewal tells whether the lock outlived the outage.
        () => undefined,
      );
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  renewal.unref();
  return renewal;
}

/** Resolves once `run` has settled, or after `ms`, whichever comes first. */
async function settledWithin(run: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([run.then(noop, noop), limit]);
  clearTimeout(timer);
}

const noop = () => undefined;

/** Rejects with the signal's reason once it aborts (never resolves). */
function rejectOnAbort(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let onAbort: () => void = () => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * Runs `work` while holding the Redis lock `key` (SET NX PX, a random token per run), so two runs of one
 * job never overlap: a manual job beside the scheduled one, two jobs processes, or a stalled job run
 * again while the first still works. The lock is extended every third of `ttlMs` while the work runs,
 * so work longer than `ttlMs` keeps it, and it expires `ttlMs` after its process died. When a renewal
 * finds the lock no longer this run's, `work`'s signal aborts (the work stops at its next check) and,
 * once the work stopped (or after `ttlMs` more), this rejects with RunLockLostError: the job fails
 * instead of going on beside another run, and its retry does not start before the work stopped.
 */
export async function withRunLock<T>(
  redis: Redis,
  key: string,
  holder: string,
  ttlMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const token = runToken(holder);
  // The job fails with this error; a scheduled one is retried by its attempts.
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') throw new RunLockHeldError(key, await redis.get(key));
  const lost = new AbortController();
  const renewal = keepRenewed(redis, key, token, ttlMs, lost);
  const abandoned = rejectOnAbort(lost.signal);
  const run = work(lost.signal);
  try {
    return await Promise.race([run, abandoned.promise]);
  } catch (err) {
    // Lock lost: give the run up to `ttlMs` to stop at its next check before this job fails, so the
    // retry BullMQ makes does not start beside it (a Kafka wait or Redis write checks the signal late).
    if (err instanceof RunLockLostError) await settledWithin(run, ttlMs);
    throw err;
  } finally {
    clearInterval(renewal);
    abandoned.dispose();
    // A run given up on may still end later: its outcome is ignored.
    run.catch(() => undefined);
    await redis.eval(RELEASE, 1, key, token);
  }
}
