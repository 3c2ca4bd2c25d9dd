export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Give up after this many attempts (default: never). */
  maxAttempts?: number;
  /** Called before each wait, e.g. to log and to heartbeat a Kafka consumer. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void | Promise<void>;
  /** Stop retrying when this returns true (e.g. during shutdown); the last error is rethrown. */
  shouldAbort?: () => boolean;
  /**
   * Aborted (on shutdown): a wait in progress ends at once and the last error is rethrown, so a stop
   * never sits out a back-off of up to `maxMs` (which a graceful-stop timeout would then cut short).
   */
  signal?: AbortSignal;
  /** Errors for which this returns false are rethrown at once (permanent errors: retrying cannot help). */
  isRetryable?: (err: unknown) => boolean;
}

/** Runs `fn` until it succeeds, waiting exponentially longer (with jitter) between attempts. */
export async function retryWithBackoff<T>(fn: () => Promise<T>, opts: BackoffOptions = {}): Promise<T> {
  const initial = opts.initialMs ?? 200;
  const max = opts.maxMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (
        (opts.maxAttempts !== undefined && attempt >= opts.maxAttempts) ||
        opts.signal?.aborted ||
        opts.shouldAbort?.() ||
        opts.isRetryable?.(err) === false
      )
        throw err;
      const delay = Math.min(max, initial * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      await opts.onRetry?.(err, attempt, delay);
      await wait(delay, opts.signal);
      if (opts.signal?.aborted) throw err;
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects; the caller checks the signal). */
function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    // An abort listener added to an already aborted signal never fires (the stop came during onRetry).
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
