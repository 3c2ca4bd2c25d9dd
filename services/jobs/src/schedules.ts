/**
 * The job schedulers this deployment wants, and their reconciliation with the ones stored in Redis.
 * One scheduler per job and time zone (a zone's districts run together at their local time), so a new
 * district needs no new scheduler, only a zone does.
 */
import type { Queue } from 'bullmq';
import type { Logger } from '@edusage/logging';
import type { JobsConfig } from './config';
import { JOB, type ZoneJobData } from './job-names';
import { maintenanceSchedulers } from './maintenance-jobs';
import { retriedJobOptions } from './queue';

export interface DesiredScheduler {
  id: string;
  name: string;
  pattern: string;
  tz: string;
  data: ZoneJobData;
}

export function zonesOf(config: Pick<JobsConfig, 'DISTRICT_TIMEZONES' | 'DEFAULT_TIMEZONE'>): string[] {
  return [...new Set([config.DEFAULT_TIMEZONE, ...Object.values(config.DISTRICT_TIMEZONES)])].sort();
}

const daily = (at: { hour: number; minute: number }) => `${at.minute} ${at.hour} * * *`;

export function desiredSchedulers(config: JobsConfig): DesiredScheduler[] {
  return [...zoneSchedulers(config), ...maintenanceSchedulers(config)];
}

function zoneSchedulers(config: JobsConfig): DesiredScheduler[] {
  return zonesOf(config).flatMap((tz) => [
    {
      id: `${JOB.snapshot}@${tz}`,
      name: JOB.snapshot,
      pattern: daily(config.JOBS_SNAPSHOT_AT),
      tz,
      data: { zone: tz },
    },
    {
      id: `${JOB.renewalAlerts}@${tz}`,
      name: JOB.renewalAlerts,
      pattern: daily(config.JOBS_RENEWAL_ALERTS_AT),
      tz,
      data: { zone: tz },
    },
  ]);
}

/**
 * Makes the stored schedulers exactly the desired ones: upserts each desired one (a changed pattern or
 * zone replaces the stored one and its pending job) and removes the stored ones no longer configured.
 */
export async function reconcileSchedulers(
  queue: Queue,
  desired: DesiredScheduler[],
  jobOpts: { attempts: number; backoffMs: number },
  logger: Logger,
): Promise<{ upserted: string[]; removed: string[] }> {
  const wanted = new Set(desired.map((d) => d.id));
  const stored = await queue.getJobSchedulers(0, -1);
  const removed: string[] = [];
  for (const s of stored) {
    const id = s.id ?? s.key;
    if (wanted.has(id)) continue;
    await queue.removeJobScheduler(id);
    removed.push(id);
  }
  for (const d of desired) {
    await queue.upsertJobScheduler(
      d.id,
      { pattern: d.pattern, tz: d.tz },
      {
        name: d.name,
        data: d.data,
        opts: retriedJobOptions(jobOpts),
      },
    );
  }
  logger.info({ upserted: desired.map((d) => d.id), removed }, 'job schedulers reconciled');
  return { upserted: desired.map((d) => d.id), removed };
}
