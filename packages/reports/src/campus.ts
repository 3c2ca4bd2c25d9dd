import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { monthPieces } from '@edusage/rollups';
import { currentEventsOfDays, type EventDays } from './current-events';
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
  const totals = new Map<string, { events: number; engaged_seconds: number }>();
  // One month at a time: picking each event's current version keeps every event's coordinate in memory
  // (LIMIT BY), which for a year of a large district passes the server's memory limit. Exact: an event
  // and its minute belong to one local day, so the months' figures add up.
  for (const piece of monthPieces(p.from, p.to)) {
    for (const r of await campusOfDays(ch, { from: piece.from, to: piece.to, districtId: p.districtId })) {
      const t = totals.get(r.campus_name) ?? { events: 0, engaged_seconds: 0 };
      t.events += Number(r.events);
      t.engaged_seconds += Number(r.engaged_seconds);
      totals.set(r.campus_name, t);
    }
  }
  return CAMPUS_VALUES.map((campus) => ({
    campus,
    events: totals.get(campus)?.events ?? 0,
    engaged_seconds: totals.get(campus)?.engaged_seconds ?? 0,
  }));
}

function campusOfDays(ch: ClickHouseClient, days: EventDays) {
  const events = currentEventsOfDays(days, [
    'person_id',
    'app_id',
    'occurred_at',
    'campus',
    'explicit_seconds',
    'counts_minute',
  ]);
  return queryRows<{ campus_name: string; events: string; engaged_seconds: string }>(
    ch,
    `SELECT toString(campus) AS campus_name, count() AS events,
       sum(toUInt64(explicit_seconds))
         + 60 * uniqExactIf(person_id, app_id, toStartOfMinute(occurred_at), counts_minute) AS engaged_seconds
     FROM ${events}
     GROUP BY campus_name`,
  );
}
