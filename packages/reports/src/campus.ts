import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { currentEventsOfDays } from './current-events';
import type { Period } from './queries';

export const CAMPUS_VALUES = ['on', 'off', 'unknown'] as const;
export type Campus = (typeof CAMPUS_VALUES)[number];

export interface CampusUsageRow {
  campus: Campus;
  events: number;
  engaged_seconds: number;
}

/**
 * A district's events and engaged seconds of a period by campus (on / off / unknown network), always
 * the three rows in that order (zeros included). The rollups have no campus dimension, so this reads
 * the stored events themselves: exact, one query, the current version of each event counted once
 * (`currentEventsOfDays`), so the three rows' events add up to the rollups' events of the period
 * (once the aggregate has folded what it stored).
 *
 * Engaged seconds follow the metric rule per campus: explicit seconds + 60 × distinct (person, app,
 * minute) of hit-style events. A minute with hits both on and off campus counts in both rows, so the
 * rows can add up to slightly more than the rollups' engaged seconds; events never.
 */
export async function campusUsage(ch: ClickHouseClient, p: Period): Promise<CampusUsageRow[]> {
  const events = currentEventsOfDays({ from: p.from, to: p.to, districtId: p.districtId }, [
    'person_id',
    'app_id',
    'occurred_at',
    'campus',
    'explicit_seconds',
    'counts_minute',
  ]);
  const rows = await queryRows<{ campus_name: string; events: string; engaged_seconds: string }>(
    ch,
    `SELECT toString(campus) AS campus_name, count() AS events,
       sum(toUInt64(explicit_seconds))
         + 60 * uniqExactIf(person_id, app_id, toStartOfMinute(occurred_at), counts_minute) AS engaged_seconds
     FROM ${events}
     GROUP BY campus_name`,
  );
  const found = new Map(rows.map((r) => [r.campus_name, r]));
  return CAMPUS_VALUES.map((campus) => ({
    campus,
    events: Number(found.get(campus)?.events ?? 0),
    engaged_seconds: Number(found.get(campus)?.engaged_seconds ?? 0),
  }));
}
