import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { localDate, timeZoneFor } from '@edusage/enrich';
import type { JobsConfig } from './config';

type ZoneConfig = Pick<JobsConfig, 'DISTRICT_TIMEZONES' | 'DEFAULT_TIMEZONE'>;

/** The districts with a license inventory whose zone (DISTRICT_TIMEZONES, else DEFAULT_TIMEZONE) is `zone`. */
export async function districtsInZone(ch: ClickHouseClient, config: ZoneConfig, zone: string): Promise<string[]> {
  const rows = await queryRows<{ district_id: string }>(
    ch,
    `SELECT DISTINCT district_id FROM license_import_versions WHERE kind = 'licenses' ORDER BY district_id`,
  );
  return rows.map((r) => r.district_id).filter((d) => timeZoneFor(config, d) === zone);
}

/**
 * The local date in `zone` of the time a job was due: a scheduler's job carries its due time
 * (`opts.prevMillis`), which stays the same across retries; another job uses its creation time.
 */
export function dueLocalDate(job: { timestamp: number; opts: { prevMillis?: number } }, zone: string): string {
  return localDate(job.opts.prevMillis ?? job.timestamp, zone);
}
