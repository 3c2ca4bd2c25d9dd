/** The jobs this service runs; the name is the BullMQ job name and the metrics' `name` label. */
export const JOB = {
  snapshot: 'license-snapshot',
  renewalAlerts: 'renewal-alerts',
  webhook: 'renewal-webhook',
  researchRefresh: 'research-refresh',
  retention: 'retention',
  rollupCompaction: 'rollup-compaction',
  /** The same work, added at boot (compactAtStartIfNeeded): its own name, so a worker of an older version cannot take it. */
  rollupCompactionAtStart: 'rollup-compaction-at-start',
  /** Finishes erasure requests left unfinished (docs/ARCHITECTURE.md "Erasing a person"). */
  erasureSweep: 'erasure-sweep',
} as const;
export type JobName = (typeof JOB)[keyof typeof JOB];

/** Data of a scheduled job: the zone whose districts it runs for; `day` overrides the day (manual runs). */
export interface ZoneJobData {
  zone: string;
  day?: string;
}

/** Data of a webhook delivery: the exact body (signed and sent unchanged on every attempt). */
export interface WebhookJobData {
  alertId: string;
  /** The alert's district (its delivery is recorded under it); absent in jobs queued before it was added. */
  districtId?: string;
  body: string;
}
