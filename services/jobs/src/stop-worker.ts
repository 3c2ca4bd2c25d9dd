/** The jobs service's graceful stop: a bounded wait for the jobs in hand, then they are handed back. */
import type { Worker } from 'bullmq';
import type { Logger } from '@edusage/logging';

/** How long handing the interrupted jobs back may take (one Redis script each) before giving up. */
export const HAND_BACK_TIMEOUT_MS = 5_000;

/** True if `promise` settled within `ms` (its outcome is the caller's business). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes the worker: it takes no new job, and the jobs in hand get `graceMs` to finish. Those still
 * running are then aborted and handed back to the queue (`handBackOnAbort`). If even that does not
 * finish in HAND_BACK_TIMEOUT_MS (Redis unreachable), this returns anyway: the jobs stay active in
 * Redis and, once their lock expires, another worker's stalled-job check runs them again, as after a
 * crash. So this returns within graceMs + HAND_BACK_TIMEOUT_MS whatever the jobs or Redis do.
 */
export async function stopWorker(worker: Worker, graceMs: number, logger: Logger): Promise<void> {
  const closed = worker.close();
  if (await settlesWithin(closed, graceMs)) return;
  logger.warn({ graceMs }, 'jobs still running after the stop grace: handing them back to the queue');
  worker.cancelAllJobs('shutdown');
  if (await settlesWithin(closed, HAND_BACK_TIMEOUT_MS)) return;
  logger.error('could not hand the running jobs back (Redis unreachable?): the stalled-job check will retry them');
}
