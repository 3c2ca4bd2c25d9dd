import { Counter, type Registry } from 'prom-client';
import type { Worker } from 'bullmq';

/**
 * Counters by job name from the worker's events: completed; failed (an attempt failed, retried or not);
 * retried (the failed attempt will be tried again); exhausted (the last attempt failed). And stalled:
 * jobs this worker's check found with an expired lock (their process died or blocked for half of
 * JOBS_LOCK_MS) and put back to run again; BullMQ names only the job id, so no label.
 */
export function registerJobMetrics(registry: Registry, worker: Worker): void {
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['name'] as const, registers: [registry] });
  const completed = counter('edusage_jobs_completed_total', 'Jobs completed, by job name');
  const failed = counter('edusage_jobs_failed_total', 'Job attempts that failed, by job name');
  const retried = counter('edusage_jobs_retried_total', 'Failed attempts that will be retried, by job name');
  const exhausted = counter('edusage_jobs_exhausted_total', 'Jobs whose last attempt failed, by job name');
  const stalled = new Counter({
    name: 'edusage_jobs_stalled_total',
    help: 'Jobs found with an expired lock and put back to run again',
    registers: [registry],
  });
  worker.on('stalled', () => stalled.inc());
  worker.on('completed', (job) => completed.inc({ name: job.name }));
  worker.on('failed', (job) => {
    const name = job?.name ?? 'unknown';
    failed.inc({ name });
    if (job && job.attemptsMade < (job.opts.attempts ?? 1)) retried.inc({ name });
    else exhausted.inc({ name });
  });
}
