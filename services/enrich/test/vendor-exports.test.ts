/**
 * The vendor exports' people and apps as enrich sees them: events adapted from the Grand Bend
 * samples (Schoology, Ed-Fi LMS with its users file, Google Classroom) enriched in process against
 * the Grand Bend OneRoster 1.1 roster of the same toolkit and the shipped app catalog.
 * Expected people are read by hand from the files (users.csv holds 604863 Mary Archer and 604874
 * Kyle Hughes; Stephen Fuqua's 111111, Eric Jansson and Juana Roe are in no roster file).
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import {
  adaptEdfiActivityRow,
  adaptGoogleClassroomUsageRow,
  adaptSchoologyRow,
  edfiUserEntry,
  type AdaptResult,
  type NativeEvent,
  type UserRef,
  type VendorRow,
} from '@edusage/contracts';
import { AppCatalog, RosterIndex, enrichEvent, loadRosterDir, loadShippedCatalog, type DistrictView } from '../src';

const LMS = path.resolve(__dirname, '../../../../shared/fixtures/edfi-lms-toolkit');
const ctx = { districtId: 'grand-bend', now: new Date('2021-01-01T00:00:00Z') };

function rows(file: string): VendorRow[] {
  const records = parse(readFileSync(path.join(LMS, file)), {
    columns: true,
    bom: true,
    skip_empty_lines: true,
    info: true,
  }) as Array<{ record: Record<string, string>; info: { lines: number } }>;
  return records.map((r) => ({ line: r.info.lines, record: r.record }));
}
const eventsOf = (results: AdaptResult[]): NativeEvent[] => results.flatMap((r) => r.events);

let view: DistrictView;
beforeAll(async () => {
  const { data } = await loadRosterDir(path.join(LMS, 'sample-in/OneRoster 1.1 Sample Data'));
  view = {
    districtId: 'grand-bend',
    timeZone: 'America/Chicago',
    roster: new RosterIndex('grand-bend', 'v1', data, 'test-key'),
    catalog: new AppCatalog(loadShippedCatalog()),
  };
});

function enrich(events: NativeEvent[]) {
  return events.map((event, offset) =>
    enrichEvent(
      { v: 1, event, received_at: '2021-01-01T00:00:00Z', channel: 'file', origin: `f:${offset}` },
      { topic: 'usage.raw', partition: 0, offset: String(offset) },
      view,
      'test-key',
      '2021-01-01T00:00:00Z',
    ),
  );
}

test('Schoology rows: students resolve by unique_user_id, staff outside the roster stay unresolved', () => {
  const events = eventsOf(
    rows('sample-in/Schoology-User-Activities-Export/example.schoology.user.activities.export.csv').map((r) =>
      adaptSchoologyRow(r, ctx),
    ),
  );
  const enriched = enrich(events);
  expect(enriched.every((e) => e.app_id === 'schoology' && e.app_resolved)).toBe(true);
  const resolvedBySourcedId = (id: string) =>
    enriched.filter((e, i) => events[i]!.user.sourced_id === id).map((e) => e.person_resolved);
  // Kyle 604874: rows 2-5, 9, 31, 33-37, 41-44 = 15; Mary 604863: rows 10-12, 18, 25-28, 30 = 9.
  expect(resolvedBySourcedId('604874')).toEqual(Array(15).fill(true));
  expect(resolvedBySourcedId('604863')).toEqual(Array(9).fill(true));
  expect(enriched.filter((e) => !e.person_resolved)).toHaveLength(45 - 15 - 9);
  // Time: the four `time spent` rows (660 + 180 + 60 + 180 s) and one minute per session refresh / item hit.
  expect(enriched.reduce((s, e) => s + e.explicit_seconds, 0)).toBe(1080);
  expect(enriched.filter((e) => e.counts_minute)).toHaveLength(9 + 23);
  // Nothing of the person in clear past enrichment.
  const text = JSON.stringify(enriched);
  for (const secret of ['604874', 'kyle.hughes', 'Hughes', '100032891']) expect(text).not.toContain(secret);
});

test('Ed-Fi system activities: LMS ids resolve only through the users file; BestLMS is an unresolved app', () => {
  const users = new Map<string, UserRef>(
    rows('sample-out/users/2020-11-01-00-00-01.csv')
      .map((r) => edfiUserEntry(r.record))
      .filter((e): e is [string, UserRef] => e !== null),
  );
  const file = 'sample-out/system-activities/date=2020-11-17/2020-11-18-11-16-09.csv';
  const withUsers = enrich(
    eventsOf(rows(file).map((r) => adaptEdfiActivityRow('system-activities', r, { ...ctx, users }))),
  );
  // Rows of 100032891 (Kyle: 3) and 100032890 (Mary: 2) resolve; 99588912 (Juana Roe: 4) does not.
  expect(withUsers.map((e) => e.person_resolved)).toEqual([true, false, true, true, false, false, true, true, false]);
  expect(withUsers.every((e) => e.app_id === 'bestlms' && !e.app_resolved)).toBe(true);
  expect(withUsers.every((e) => e.explicit_seconds === 0 && !e.counts_minute)).toBe(true);
  const without = enrich(eventsOf(rows(file).map((r) => adaptEdfiActivityRow('system-activities', r, ctx))));
  expect(without.some((e) => e.person_resolved)).toBe(false);
});

test('Google Classroom snapshot rows: active users of google-classroom that add no time', () => {
  const enriched = enrich(
    eventsOf(rows('google-classroom-usage/usage-1st.csv').map((r) => adaptGoogleClassroomUsageRow(r, ctx))),
  );
  expect(enriched).toHaveLength(17);
  for (const e of enriched) {
    expect(e).toMatchObject({
      app_id: 'google-classroom',
      app_resolved: true,
      explicit_seconds: 0,
      counts_minute: false,
    });
  }
  // The sample's emails are invented (not Grand Bend people): all unresolved, kept.
  expect(enriched.every((e) => !e.person_resolved)).toBe(true);
});
