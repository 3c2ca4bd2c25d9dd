/**
 * The job schedulers this deployment wants, and their reconciliation with the ones stored in Redis.
 * One scheduler per job and time zone (a zone's districts run together at their local time), so a new
 * district needs no new scheduler, only a zone does.
 */
import type { JobSchedulerJson, Queue } from 'bullmq';
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
 * Makes the stored schedulers exactly the desired ones: upserts each desired one that is new or changed
 * (a changed pattern, zone, job or options replaces the stored one and its pending job), leaves an
 * unchanged one as it is, and removes the stored ones no longer configured. Unchanged ones are not
 * upserted because BullMQ's upsert deletes the pending job and queues the next time after now: a
 * process down across a run time would otherwise lose that run (the day's snapshot, say) at boot,
 * instead of running it late.
 */
export async function reconcileSchedulers(
  queue: Queue,
  desired: DesiredScheduler[],
  jobOpts: { attempts: number; backoffMs: number },
  logger: Logger,
): Promise<{ upserted: string[]; kept: string[]; removed: string[] }> {
  const wanted = new Set(desired.map((d) => d.id));
  const stored = await queue.getJobSchedulers(0, -1);
  const storedById = new Map(stored.map((s) => [s.id ?? s.key, s]));
  const removed: string[] = [];
  for (const [id] of storedById) {
    if (wanted.has(id)) continue;
    await queue.removeJobScheduler(id);
    removed.push(id);
  }
  const opts = retriedJobOptions(jobOpts);
  const upserted: string[] = [];
  const kept: string[] = [];
  for (const d of desired) {
    const before = storedById.get(d.id);
    if (before !== undefined && sameScheduler(before, d, opts)) {
      kept.push(d.id);
      continue;
    }
    await queue.upsertJobScheduler(d.id, { pattern: d.pattern, tz: d.tz }, { name: d.name, data: d.data, opts });
    upserted.push(d.id);
  }
  logger.info({ upserted, kept, removed }, 'job schedulers reconciled');
  return { upserted, kept, removed };
}

/** Whether the stored scheduler makes the same jobs at the same times as the desired one. */
function sameScheduler(
  stored: JobSchedulerJson,
  desired: DesiredScheduler,
  opts: ReturnType<typeof retriedJobOptions>,
): boolean {
  const storedOpts = (stored.template?.opts ?? {}) as Partial<Record<keyof typeof opts, unknown>>;
  return (
    stored.name === desired.name &&
    stored.pattern === desired.pattern &&
    stored.tz === desired.tz &&
    sortedJson(stored.template?.data ?? null) === sortedJson(desired.data) &&
    (Object.keys(opts) as (keyof typeof opts)[]).every((k) => sortedJson(storedOpts[k] ?? null) === sortedJson(opts[k]))
  );
}

/** JSON with object keys sorted: Redis gives the stored template back with its keys in any order. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
