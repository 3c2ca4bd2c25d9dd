/**
 * A job interrupted by a shutdown goes back to the queue instead of failing: the worker aborts the
 * signal it gave the processor (`worker.cancelAllJobs`), and the job is moved from active back to the
 * head of the wait list (its lock released, `attemptsMade` unchanged), so the next worker runs it
 * again from the start at once. Re-running is safe: every job is idempotent (docs/ARCHITECTURE.md "Jobs").
 */
import { WaitingError, type Job } from 'bullmq';

/**
 * Resolves or rejects as `run` does, unless `signal` aborts first: then the job is handed back and
 * this throws WaitingError, which BullMQ takes as "moved, not failed". The abandoned run is left to
 * end with the process (as after a crash); its late outcome is ignored.
 */
export async function handBackOnAbort<T>(job: Job, token: string, signal: AbortSignal, run: Promise<T>): Promise<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<{ aborted: true }>((resolve) => {
    onAbort = () => resolve({ aborted: true });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([run.then((value) => ({ aborted: false as const, value })), aborted]);
    if (!first.aborted) return first.value;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
  run.catch(() => undefined);
  await job.moveToWait(token);
  throw new WaitingError();
}
