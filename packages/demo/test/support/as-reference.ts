/**
 * The whole stored state of a district against the reference (support/reference.ts): every stored event in
 * its current version, every rollup cell, the period reports. Shared by the suites that rewrite stored
 * events (late roster, erasure).
 */
import { queryRows } from '@edusage/clickhouse';
import { unresolvedSummary } from '@edusage/reports';
import { EVENT_COLUMNS } from '@edusage/aggregate';
import { DISTRICT, expectUsageReportsAsReference, PSEUDONYM_KEY, readRollups, type E2E } from './e2e';
import { attributedEvents, sorted, type AttributedEvent, type Cell, type Reference } from './reference';

/** Every stored event in its current version (usage_events or its latest revision), as the reference keys them. */
export async function currentEvents(e2e: E2E): Promise<string[]> {
  const rows = await queryRows<Record<string, string | number>>(
    e2e.ch,
    `SELECT person_id, role, app_id, class_id, class_attribution, school_id, toString(local_date) AS day,
            explicit_seconds, person_resolved
     FROM (SELECT ${EVENT_COLUMNS}, toUInt64(0) AS revision FROM usage_events
           UNION ALL SELECT ${EVENT_COLUMNS}, revision FROM usage_event_revisions)
     ORDER BY kafka_topic, kafka_partition, kafka_offset, revision DESC
     LIMIT 1 BY kafka_topic, kafka_partition, kafka_offset`,
  );
  return rows
    .map((r) =>
      [r.person_id, r.role, r.app_id, r.class_id, r.class_attribution, r.school_id, r.day, r.explicit_seconds].join(
        '|',
      ),
    )
    .sort();
}

export function expectedEvents(e2e: E2E, leaveOut: (a: AttributedEvent) => boolean = () => false): string[] {
  return [...attributedEvents(e2e.sample, PSEUDONYM_KEY)]
    .filter((a) => !leaveOut(a))
    .map((a) => [a.person, a.role, a.app, a.classId ?? '', a.attribution, a.schoolId, a.day, a.seconds].join('|'))
    .sort();
}

/**
 * Rollup cells with at least one event. A cell whose every event moved to another cell keeps a
 * contribution of empty states (0 in every measure), which must be all it holds.
 */
export function nonEmpty(cells: Map<string, Cell>): Map<string, Cell> {
  const out = new Map<string, Cell>();
  for (const [k, c] of cells) {
    if (c.events > 0) out.set(k, c);
    else expect({ k, ...c }).toEqual({ k, ...zero });
  }
  return out;
}
const zero: Cell = {
  events: 0,
  activeUsers: 0,
  explicitSeconds: 0,
  activeMinutes: 0,
  engagedSeconds: 0,
  unresolvedPersonEvents: 0,
};

export async function expectAsReference(
  e2e: E2E,
  ref: Reference,
  leaveOut: (a: AttributedEvent) => boolean = () => false,
): Promise<void> {
  expect(await currentEvents(e2e)).toEqual(expectedEvents(e2e, leaveOut));
  const got = await readRollups(e2e.ch, DISTRICT);
  expect(sorted(nonEmpty(got.district))).toEqual(sorted(ref.district));
  expect(sorted(nonEmpty(got.school))).toEqual(sorted(ref.school));
  expect(sorted(nonEmpty(got.class))).toEqual(sorted(ref.class));

  // The reports over the whole period (what the demo prints): empty re-folded cells add no row and no day.
  const days = e2e.sample.days.map((d) => d.date);
  const period = { districtId: DISTRICT, from: days[0]!, to: days[days.length - 1]! };
  await expectUsageReportsAsReference(e2e.ch, period, ref);
  const unresolved = await unresolvedSummary(e2e.ch, period);
  expect(unresolved.total_events).toBe(ref.storedEvents);
  expect(unresolved.unresolved_person_events).toBe([...ref.unresolvedPeople.values()].reduce((a, b) => a + b, 0));
  expect(unresolved.unattributed_school_events).toBe(ref.period.unattributedSchoolEvents);
}
