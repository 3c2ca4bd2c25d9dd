/** What each job does; the worker calls `process` with every job it takes. */
import type { Redis } from 'ioredis';
import type { Job, Queue } from 'bullmq';
import type { ClickHouseClient } from '@edusage/clickhouse';
import type { Logger } from '@edusage/logging';
import { addDays } from '@edusage/licenses';
import type { JobsConfig } from './config';
import { districtsInZone, dueLocalDate } from './districts';
import { JOB, type WebhookJobData, type ZoneJobData } from './job-names';
import { checkRenewals, type RenewalAlert } from './renewal-alerts';
import { runResearchRefresh, runRetention, runRollupCompaction } from './maintenance-jobs';
import { SNAPSHOT_CATCH_UP_DAYS, snapshotCatchingUp, snapshotDistrict, type CatchUpDays } from './snapshot';
import { runErasureSweep } from './erasure-sweep';
import { snapshotAfterPipeline } from './snapshot-wait';
import { alertBody, postWebhook } from './webhook';
import { deliveredAlerts, recordDelivery } from './deliveries';
import { handBackOnAbort } from './hand-back';

/**
 * Completed deliveries are kept this long in BullMQ (their job id stops a second queueing while kept;
 * the queue's count trim may drop them sooner, which `license_alert_deliveries` covers).
 */
export const DELIVERY_RETENTION_S = 400 * 86_400;

export interface JobDeps {
  config: JobsConfig;
  ch: ClickHouseClient;
  queue: Queue;
  /** The queue's Redis connection (run locks). */
  redis: Redis;
  logger: Logger;
}

export const webhookJobId = (alertId: string) => `webhook-${alertId}`;

/**
 * Queues the webhook delivery of each of the district's alerts not delivered yet. Delivered: recorded
 * in `license_alert_deliveries` (the queue's completed jobs are trimmed by count, so a kept job id
 * alone would let an alert still due be sent again). Not delivered: the job id is the alert's, and
 * BullMQ adds nothing for an id it holds (waiting, delayed, active, completed or failed), so a re-run or
 * a second process queues nothing new.
 */
async function queueDeliveries(deps: JobDeps, districtId: string, alerts: RenewalAlert[]): Promise<void> {
  const { config, queue } = deps;
  if (config.JOBS_WEBHOOK_URL === undefined || alerts.length === 0) return;
  const delivered = await deliveredAlerts(
    deps.ch,
    districtId,
    alerts.map((a) => a.alert_id),
  );
  const pending = alerts.filter((a) => !delivered.has(a.alert_id));
  if (pending.length === 0) return;
  await queue.addBulk(
    pending.map((a) => ({
      name: JOB.webhook,
      data: { alertId: a.alert_id, districtId, body: alertBody(a) } satisfies WebhookJobData,
      opts: {
        jobId: webhookJobId(a.alert_id),
        attempts: config.JOBS_WEBHOOK_ATTEMPTS,
        backoff: { type: 'exponential', delay: config.JOBS_WEBHOOK_BACKOFF_MS },
        removeOnComplete: { age: DELIVERY_RETENTION_S },
        removeOnFail: false,
      },
    })),
  );
}

/** Logs the missed days a district's run is about to snapshot, and those beyond the cap it leaves. */
function logCatchUp(logger: Logger, zone: string, districtId: string, r: CatchUpDays): void {
  if (r.caughtUp.length > 0)
    logger.info(
      { zone, district: districtId, days: r.caughtUp },
      'license snapshot: catching up on days missed while no run was due (inventory and roster as of now)',
    );
  if (r.missed.length > 0)
    logger.warn(
      { zone, district: districtId, from: r.missed[0], to: r.missed.at(-1), days: r.missed.length },
      `license snapshot: days missed beyond the catch-up of ${SNAPSHOT_CATCH_UP_DAYS} days left without a snapshot (run them by hand with "day")`,
    );
}

interface SnapshotRunResult {
  day: string;
  districts: number;
  rows: number;
  /** A scheduled run: the messages each stage had not taken when its wait ran out (absent: caught up, or no wait). */
  pipelineBehind?: Record<string, number>;
  /** Per district with any: the missed days snapshotted by this run, and those left beyond the cap. */
  caughtUp: Record<string, string[]>;
  missed: Record<string, string[]>;
}

async function runSnapshot(deps: JobDeps, job: Job<ZoneJobData>): Promise<SnapshotRunResult> {
  const { config, ch, logger } = deps;
  const zone = job.data.zone;
  // The night's snapshot is of the local day that just ended.
  const day = job.data.day ?? addDays(dueLocalDate(job, zone), -1);
  const result: SnapshotRunResult = { day, districts: 0, rows: 0, caughtUp: {}, missed: {} };
  // A scheduled run counts what was sent before it: what is still on its way is waited for a while.
  if (job.data.day === undefined) {
    const behind = await snapshotAfterPipeline(deps, zone, day);
    if (behind !== null) result.pipelineBehind = behind;
  }
  const districts = await districtsInZone(ch, config, zone);
  for (const district of districts) {
    const windowDays = config.JOBS_SNAPSHOT_WINDOW_DAYS;
    // A manual run snapshots its day only; a scheduled one also the days missed before it.
    const r =
      job.data.day === undefined
        ? await snapshotCatchingUp(ch, district, day, windowDays, (days) => logCatchUp(logger, zone, district, days))
        : { rows: await snapshotDistrict(ch, district, day, windowDays), caughtUp: [], missed: [] };
    result.rows += r.rows;
    if (r.caughtUp.length > 0) result.caughtUp[district] = r.caughtUp;
    if (r.missed.length > 0) result.missed[district] = r.missed;
  }
  result.districts = districts.length;
  logger.info({ zone, day, districts: districts.length, rows: result.rows }, 'license utilization snapshot written');
  return result;
}

async function runRenewalAlerts(
  deps: JobDeps,
  job: Job<ZoneJobData>,
): Promise<{ day: string; due: number; created: number }> {
  const { config, ch, logger } = deps;
  const zone = job.data.zone;
  const day = job.data.day ?? dueLocalDate(job, zone);
  const rule = { thresholds: config.JOBS_RENEWAL_ALERT_DAYS, usedShareBelow: config.JOBS_RENEWAL_UTILIZATION_BELOW };
  let due = 0;
  let created = 0;
  for (const district of await districtsInZone(ch, config, zone)) {
    const r = await checkRenewals(ch, district, day, config.JOBS_RENEWAL_WINDOW_DAYS, rule);
    for (const a of r.created) {
      logger.warn(
        {
          alertId: a.alert_id,
          district: a.district_id,
          license: a.license_id,
          app: a.app_id,
          renewal: a.renewal_date,
          thresholdDays: a.threshold_days,
          usedShare: a.used_share,
        },
        'license renews soon and is underused',
      );
    }
    // Every due alert, not only the new ones: a run that died after storing its alerts queues them now.
    await queueDeliveries(deps, district, r.due);
    due += r.due.length;
    created += r.created.length;
  }
  return { day, due, created };
}

/**
 * The district a delivery is recorded under: its data's, else (a job queued before the district was in
 * the data) the alert's in the body, else '' (a delivery queued by hand).
 */
function districtOfDelivery(data: WebhookJobData): string {
  if (data.districtId !== undefined) return data.districtId;
  try {
    const district = (JSON.parse(data.body) as { alert?: { district_id?: unknown } } | null)?.alert?.district_id;
    return typeof district === 'string' ? district : '';
  } catch {
    return '';
  }
}

/** The status of a POST an earlier attempt of the delivery got answered, kept in the job's progress. */
function postedStatus(progress: unknown): number | undefined {
  const posted =
    typeof progress === 'object' && progress !== null ? (progress as { posted?: unknown }).posted : undefined;
  return typeof posted === 'number' ? posted : undefined;
}

async function deliverWebhook(
  deps: JobDeps,
  job: Job<WebhookJobData>,
  signal?: AbortSignal,
): Promise<{ status: number } | { already: true }> {
  const { config, ch, logger } = deps;
  if (config.JOBS_WEBHOOK_URL === undefined || config.JOBS_WEBHOOK_SECRET === undefined) {
    throw new Error('JOBS_WEBHOOK_URL is not set in this process: cannot deliver');
  }
  const { alertId } = job.data;
  const districtId = districtOfDelivery(job.data);
  if ((await deliveredAlerts(ch, districtId, [alertId])).has(alertId)) return { already: true };
  // A POST answered 2xx by an earlier attempt whose record failed is not sent again.
  let status = postedStatus(job.progress);
  if (status === undefined) {
    status = await postWebhook(
      config.JOBS_WEBHOOK_URL,
      config.JOBS_WEBHOOK_SECRET,
      alertId,
      job.data.body,
      config.JOBS_WEBHOOK_TIMEOUT_MS,
      signal,
    );
    await job.updateProgress({ posted: status });
    logger.info({ alertId, attempt: job.attemptsMade + 1 }, 'alert webhook delivered');
  }
  await recordDelivery(ch, { alertId, districtId, status });
  return { status };
}

async function runJob(deps: JobDeps, job: Job, signal?: AbortSignal): Promise<unknown> {
  switch (job.name) {
    case JOB.snapshot:
      return runSnapshot(deps, job as Job<ZoneJobData>);
    case JOB.renewalAlerts:
      return runRenewalAlerts(deps, job as Job<ZoneJobData>);
    case JOB.webhook:
      return deliverWebhook(deps, job as Job<WebhookJobData>, signal);
    case JOB.researchRefresh:
      return runResearchRefresh(deps, job as Job<ZoneJobData>);
    case JOB.retention:
      return runRetention(deps, job as Job<ZoneJobData>);
    case JOB.rollupCompaction:
    case JOB.rollupCompactionAtStart:
      return runRollupCompaction(deps, job as Job<ZoneJobData>);
    case JOB.erasureSweep:
      return runErasureSweep(deps, job);
    default:
      throw new Error(`unknown job name ${JSON.stringify(job.name)}`);
  }
}

/**
 * The worker's processor. It takes three parameters, so BullMQ passes it the abort signal that
 * `worker.cancelAllJobs` fires at shutdown: a job still running then is handed back to the queue.
 */
export function jobProcessor(deps: JobDeps) {
  return async (job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> => {
    const run = runJob(deps, job, signal);
    return token !== undefined && signal !== undefined ? handBackOnAbort(job, token, signal, run) : run;
  };
}
