/**
 * Vendor usage exports (Schoology, Ed-Fi LMS unified CSVs, Google Classroom usage): every row of
 * each real sample under ../shared/fixtures/edfi-lms-toolkit is pinned to its outcome, the meaning
 * tables are walked line by line, and the event ids are checked to depend on the action only.
 * Expected figures are counted by hand from the files (see the comments), not taken from the code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  EDFI_ROW_TABLE,
  GOOGLE_CLASSROOM_ROW_TABLE,
  SCHOOLOGY_ROW_TABLE,
  adaptEdfiActivityRow,
  adaptGoogleClassroomUsageRow,
  adaptSchoologyRow,
  edfiUserEntry,
  type AdaptResult,
  type NativeEvent,
  type RowMeaning,
  type UserRef,
  type VendorRow,
} from '../src';

const LMS = path.resolve(__dirname, '../../../../shared/fixtures/edfi-lms-toolkit');
const SCHOOLOGY = path.join(
  LMS,
  'sample-in/Schoology-User-Activities-Export/example.schoology.user.activities.export.csv',
);
const SYSTEM = path.join(LMS, 'sample-out/system-activities/date=2020-11-17/2020-11-18-11-16-09.csv');
const SECTION = path.join(LMS, 'sample-out/section=2385758954/section-activities/2020-09-21-11-08-34.csv');
const USERS = path.join(LMS, 'sample-out/users/2020-11-01-00-00-01.csv');
const GC = ['usage-1st.csv', 'usage-2nd-overlaps-1st.csv', 'usage-3rd-overlaps-1st-and-2nd.csv'].map((f) =>
  path.join(LMS, 'google-classroom-usage', f),
);
/** The samples are from 2020; events older than 5 years are refused, so the clock is set to 2021. */
const ctx = { districtId: 'grand-bend', now: new Date('2021-01-01T00:00:00Z') };

function rows(file: string): VendorRow[] {
  const records = parse(fs.readFileSync(file), {
    columns: true,
    bom: true,
    skip_empty_lines: true,
    info: true,
  }) as Array<{ record: Record<string, string>; info: { lines: number } }>;
  return records.map((r) => ({ line: r.info.lines, record: r.record }));
}

function merge(results: AdaptResult[]): AdaptResult {
  return {
    events: results.flatMap((r) => r.events),
    rejects: results.flatMap((r) => r.rejects),
    skipped: results.flatMap((r) => r.skipped),
  };
}

/** Each row gives exactly one outcome; returns the event (or undefined) per line. */
function byLine(file: string, adapt: (row: VendorRow) => AdaptResult): Map<number, AdaptResult> {
  const out = new Map<number, AdaptResult>();
  for (const row of rows(file)) {
    const r = adapt(row);
    expect(r.events.length + r.rejects.length + r.skipped.length).toBe(1);
    out.set(row.line, r);
  }
  return out;
}

/** How an event adds time, read back from the event: the {@link RowMeaning} time rule it follows. */
function timeRule(e: NativeEvent): RowMeaning['time'] | 'explicit' {
  if (e.type === 'login' || e.type === 'logout') return e.active_seconds === undefined ? 'none' : undefined;
  if (e.active_seconds === undefined) return 'one_minute';
  return e.active_seconds === 0 ? 'none' : 'explicit';
}

describe('Schoology User Activities export (45 rows)', () => {
  const results = byLine(SCHOOLOGY, (row) => adaptSchoologyRow(row, ctx));
  const all = merge([...results.values()]);
  const ev = (line: number) => results.get(line)!.events[0]!;

  test('every row is accepted; counts per native type as read from the file', () => {
    expect(results.size).toBe(45);
    expect(all.rejects).toEqual([]);
    expect(all.skipped).toEqual([]);
    const count = (t: string) => all.events.filter((e) => e.type === t).length;
    // SESSION rows: 8 CREATE, 9 UPDATE, 1 DELETE; the other 27 rows act on assignments, discussions, a post.
    expect(count('login')).toBe(8);
    expect(count('heartbeat')).toBe(9);
    expect(count('logout')).toBe(1);
    expect(count('use')).toBe(27);
    // Lines 8, 22, 28, 37 carry `time spent (seconds)` 660, 180, 60, 180.
    const timed = all.events.filter((e) => e.active_seconds !== undefined);
    expect(timed.map((e) => e.active_seconds)).toEqual([660, 180, 60, 180]);
    expect(new Set(all.events.map((e) => e.event_id)).size).toBe(45);
  });

  test('exact fields of some rows, written from the file', () => {
    expect(ev(2)).toEqual({
      event_id: expect.stringMatching(/^schoology:[0-9a-f]{64}$/),
      occurred_at: '2020-11-04T17:28:43.097Z',
      district_id: 'grand-bend',
      source: 'import',
      type: 'login',
      user: { sourced_id: '604874', email: 'kyle.hughes@studentgps.org', username: 'kyle.hughes' },
      app: { app_id: 'schoology' },
    });
    expect(ev(8)).toMatchObject({
      type: 'use',
      occurred_at: '2020-11-04T17:37:03.147Z',
      active_seconds: 660,
      user: { sourced_id: '111111', username: 'stephen.fuqua' },
    });
    expect(ev(9)).toMatchObject({ type: 'logout', occurred_at: '2020-11-04T20:05:21.141Z' });
    expect(ev(18)).toMatchObject({ type: 'heartbeat', user: { sourced_id: '604863' } });
    expect(ev(18).active_seconds).toBeUndefined();
    // Eric Jansson has no unique_user_id: email and username only.
    expect(ev(32).user).toEqual({ email: 'eric.jansson@ed-fi.org', username: 'eric.jansson' });
  });

  test('the same rows re-downloaded in another order give the same ids; no raw id in them', () => {
    const list = rows(SCHOOLOGY);
    const reordered = [...list].reverse().map((r, i) => ({ ...r, line: i + 2 }));
    const ids = (rs: VendorRow[]) =>
      new Set(rs.flatMap((r) => adaptSchoologyRow(r, ctx).events.map((e) => e.event_id)));
    expect(ids(reordered)).toEqual(ids(list));
    for (const id of ids(list)) expect(id).not.toMatch(/604874|100032891|kyle/);
  });

  test('bad rows are rejected naming line and field; the rest of the row set is unaffected', () => {
    const good = rows(SCHOOLOGY)[0]!;
    const broken = (line: number, patch: Record<string, string>) =>
      adaptSchoologyRow({ line, record: { ...good.record, ...patch } }, ctx).rejects[0]!.reason;
    expect(broken(50, { last_event_timestamp: '11/04/2020' })).toMatchObject({
      code: 'invalid_field',
      field: 'last_event_timestamp',
      line: 50,
    });
    expect(broken(51, { item_type: 'ASSIGNMENT', 'time spent (seconds)': 'ten' })).toMatchObject({
      field: 'time spent (seconds)',
      line: 51,
    });
    expect(broken(52, { action_type: 'LIKE' })).toMatchObject({ code: 'unsupported_event', field: 'action_type' });
    expect(broken(53, { unique_user_id: '', email: '', username: '' })).toMatchObject({
      code: 'missing_identifier',
      field: 'unique_user_id',
    });
    expect(broken(54, { action_type: 'GRADE' })).toMatchObject({ code: 'unsupported_event', field: 'action_type' });
    expect(broken(55, { schoology_user_id: '' })).toMatchObject({ field: 'schoology_user_id' });
  });
});

describe('Ed-Fi LMS unified activities', () => {
  const users = new Map<string, UserRef>(
    rows(USERS)
      .map((r) => edfiUserEntry(r.record))
      .filter((e): e is [string, UserRef] => e !== null),
  );

  test('system-activities (9 rows): 8 sign-ins, 1 sign-out, users mapped through the users file', () => {
    const results = byLine(SYSTEM, (row) => adaptEdfiActivityRow('system-activities', row, { ...ctx, users }));
    const all = merge([...results.values()]);
    expect(all.events.map((e) => e.type)).toEqual([
      'login',
      'login',
      'logout',
      'login',
      'login',
      'login',
      'login',
      'login',
      'login',
    ]);
    expect(all.events.every((e) => e.active_seconds === undefined)).toBe(true);
    expect(results.get(2)!.events[0]).toMatchObject({
      occurred_at: '2020-11-04T17:28:43Z',
      user: { sourced_id: '604874', email: 'Kyle.Hughes@studentgps.org', username: 'kyle.hughes' },
      // SourceSystem BestLMS is no catalog app: kept as its slug.
      app: { app_id: 'bestlms' },
    });
    // 99588912 is Juana Roe in the 2020-11-01 users file: no SIS id, email and login only.
    expect(results.get(3)!.events[0]!.user).toEqual({ email: 'juana.roe@studentgps.org', username: 'Juana.Roe' });
  });

  test('sign-in times match the Schoology export they were extracted from', () => {
    const edfi = merge(rows(SYSTEM).map((row) => adaptEdfiActivityRow('system-activities', row, ctx)));
    const schoology = merge(rows(SCHOOLOGY).map((row) => adaptSchoologyRow(row, ctx)));
    const secondsOf = (es: NativeEvent[], type: string) =>
      es
        .filter((e) => e.type === type)
        .map((e) => Math.floor(Date.parse(e.occurred_at) / 1000))
        .sort();
    expect(secondsOf(edfi.events, 'login')).toEqual(secondsOf(schoology.events, 'login'));
    expect(secondsOf(edfi.events, 'logout')).toEqual(secondsOf(schoology.events, 'logout'));
  });

  test('without the users file a person stays unresolvable (LMS id as username with the LMS name)', () => {
    const e = adaptEdfiActivityRow('system-activities', rows(SYSTEM)[0]!, ctx).events[0]!;
    expect(e.user).toEqual({ username: 'BestLMS:100032891' });
  });

  test('section-activities (1 row): 98 minutes of Discussion', () => {
    const all = merge(rows(SECTION).map((row) => adaptEdfiActivityRow('section-activities', row, { ...ctx, users })));
    expect(all.rejects).toEqual([]);
    expect(all.events).toEqual([
      {
        event_id: expect.stringMatching(/^edfi-section-activities:[0-9a-f]{64}$/),
        occurred_at: '2020-09-19T14:23:52Z',
        district_id: 'grand-bend',
        source: 'import',
        type: 'use',
        user: { sourced_id: '604863', email: 'Mary.Archer@studentgps.org', username: 'mary.archer' },
        app: { app_id: 'bestlms' },
        active_seconds: 98 * 60,
      },
    ]);
  });

  test('known LMS names map to catalog apps; bad rows name their field', () => {
    const base = rows(SECTION)[0]!.record;
    const one = (patch: Record<string, string>) =>
      adaptEdfiActivityRow('section-activities', { line: 7, record: { ...base, ...patch } }, ctx);
    expect(one({ SourceSystem: 'Google Classroom' }).events[0]!.app).toEqual({ app_id: 'google-classroom' });
    expect(one({ SourceSystem: 'Canvas' }).events[0]!.app).toEqual({ app_id: 'canvas' });
    expect(one({ SourceSystem: 'Schoology' }).events[0]!.app).toEqual({ app_id: 'schoology' });
    expect(one({ ActivityTimeInMinutes: '-5' }).rejects[0]!.reason).toMatchObject({
      field: 'ActivityTimeInMinutes',
      line: 7,
    });
    expect(one({ ActivityTimeInMinutes: '2000' }).rejects[0]!.reason.field).toBe('ActivityTimeInMinutes');
    expect(one({ ActivityDateTime: 'yesterday' }).rejects[0]!.reason.field).toBe('ActivityDateTime');
    expect(one({ LMSUserSourceSystemIdentifier: '' }).rejects[0]!.reason).toMatchObject({
      code: 'missing_identifier',
      field: 'LMSUserSourceSystemIdentifier',
    });
    expect(one({ LMSSectionSourceSystemIdentifier: '' }).rejects[0]!.reason.field).toBe(
      'LMSSectionSourceSystemIdentifier',
    );
    expect(one({ SourceSystemIdentifier: '' }).rejects[0]!.reason.field).toBe('SourceSystemIdentifier');
  });
});

describe('Google Classroom usage snapshots (17 + 49 + 98 rows, overlapping)', () => {
  const perFile = GC.map((f) => ({
    rows: rows(f),
    result: merge(rows(f).map((r) => adaptGoogleClassroomUsageRow(r, ctx))),
  }));

  test('every row is one use event at lastInteractionTime that adds no time', () => {
    expect(perFile.map((f) => f.rows.length)).toEqual([17, 49, 98]);
    for (const f of perFile) {
      expect(f.result.rejects).toEqual([]);
      expect(f.result.events).toHaveLength(f.rows.length);
      for (const e of f.result.events) {
        expect(e).toMatchObject({ type: 'use', active_seconds: 0, app: { app_id: 'google-classroom' } });
      }
    }
    // usage-1st.csv line 3 (blank lines in between): beverlyleblanc@yahoo.com, last interaction 2020-09-10 22:44:20.
    const first = adaptGoogleClassroomUsageRow(perFile[0]!.rows[0]!, ctx).events[0]!;
    expect(perFile[0]!.rows[0]!.line).toBe(3);
    expect(first).toMatchObject({ occurred_at: '2020-09-10T22:44:20Z', user: { email: 'beverlyleblanc@yahoo.com' } });
    expect(Object.keys(first.user)).toEqual(['email']); // the `name` column is not used
  });

  test('overlapping snapshots: the same person and last interaction is the same event id', () => {
    const ids = perFile.map((f) => new Set(f.result.events.map((e) => e.event_id)));
    const keys = perFile.map(
      (f) => new Set(f.rows.map((r) => `${r.record['email']}|${r.record['lastInteractionTime']}`)),
    );
    const inter = <T>(a: Set<T>, b: Set<T>) => [...a].filter((x) => b.has(x)).length;
    // Overlaps counted from the raw rows (email + last interaction): the ids must overlap exactly as much.
    expect(inter(ids[0]!, ids[1]!)).toBe(inter(keys[0]!, keys[1]!));
    expect(inter(ids[0]!, ids[2]!)).toBe(inter(keys[0]!, keys[2]!));
    expect(inter(ids[1]!, ids[2]!)).toBe(inter(keys[1]!, keys[2]!));
    // 17 + 49 + 98 = 164 rows, 99 distinct people with one last interaction each.
    expect(new Set(ids.flatMap((s) => [...s])).size).toBe(99);
    expect(inter(ids[1]!, ids[2]!)).toBe(49); // the 2nd file is contained in the 3rd
  });

  test('a snapshot without interaction is skipped; bad rows name their field', () => {
    const base = perFile[0]!.rows[0]!.record;
    const one = (patch: Record<string, string>) =>
      adaptGoogleClassroomUsageRow({ line: 9, record: { ...base, ...patch } }, ctx);
    expect(one({ lastInteractionTime: '' }).skipped).toEqual([
      { reason: 'no_classroom_interaction', message: 'no Classroom interaction reported', line: 9 },
    ]);
    expect(one({ email: '' }).rejects[0]!.reason).toMatchObject({
      code: 'missing_identifier',
      field: 'email',
      line: 9,
    });
    expect(one({ lastInteractionTime: '2020-13-01 00:00:00' }).rejects[0]!.reason.field).toBe('lastInteractionTime');
    expect(one({ asOfDate: 'soon' }).rejects[0]!.reason.field).toBe('asOfDate');
    expect(one({ asOfDate: '2020-09-03' }).events).toHaveLength(1); // the report API writes a plain date
  });
});

/** One hand-written row per table line: the adapter must do what the table says. */
describe('meaning tables: each line is what the adapter does', () => {
  const schoologyBase = {
    schoology_user_id: '1',
    unique_user_id: 's1',
    username: 'u1',
    email: 'u1@x.org',
    item_id: '',
    last_event_timestamp: '2020-11-04 17:28:43.097',
    'time spent (seconds)': '',
  };
  const schoologyExamples: Record<keyof typeof SCHOOLOGY_ROW_TABLE, Record<string, string>> = {
    session_create: { action_type: 'CREATE', item_type: 'SESSION' },
    session_update: { action_type: 'UPDATE', item_type: 'SESSION' },
    session_delete: { action_type: 'DELETE', item_type: 'SESSION' },
    item_timed: { action_type: 'READ', item_type: 'ASSIGNMENT', item_id: '9', 'time spent (seconds)': '120' },
    item_hit: { action_type: 'SUBMIT', item_type: 'DISCUSSION', item_id: '9' },
  };
  const edfiBase = {
    SourceSystemIdentifier: 'a1',
    SourceSystem: 'Canvas',
    LMSUserSourceSystemIdentifier: '7',
    ActivityDateTime: '2020-11-04 17:28:43',
    ActivityTimeInMinutes: '',
  };
  const edfiExamples: Record<keyof typeof EDFI_ROW_TABLE, Record<string, string>> = {
    timed: { ActivityType: 'Discussion', ActivityTimeInMinutes: '3' },
    sign_in: { ActivityType: 'sign-in' },
    sign_out: { ActivityType: 'sign-out' },
    hit: { ActivityType: 'page-view' },
  };
  const gcBase = { email: 'p@x.org', asOfDate: '2020-09-12', lastInteractionTime: '2020-09-11 08:00:00' };
  const gcExamples: Record<keyof typeof GOOGLE_CLASSROOM_ROW_TABLE, Record<string, string>> = {
    interaction: {},
    never: { lastInteractionTime: '' },
  };

  function check(meaning: RowMeaning, result: AdaptResult, amountSeconds?: number) {
    expect(result.rejects).toEqual([]);
    if (meaning.outcome === 'skip') {
      expect(result.skipped.map((s) => s.reason)).toEqual([meaning.skip]);
      return;
    }
    const e = result.events[0]!;
    expect(e.type).toBe(meaning.type);
    const rule = meaning.time === 'explicit_seconds' || meaning.time === 'explicit_minutes' ? 'explicit' : meaning.time;
    expect(timeRule(e)).toBe(rule);
    if (rule === 'explicit') expect(e.active_seconds).toBe(amountSeconds);
  }

  test.each(Object.entries(schoologyExamples))('Schoology %s', (kind, patch) => {
    const meaning = SCHOOLOGY_ROW_TABLE[kind as keyof typeof SCHOOLOGY_ROW_TABLE];
    check(meaning, adaptSchoologyRow({ line: 2, record: { ...schoologyBase, ...patch } }, ctx), 120);
  });
  test.each(Object.entries(edfiExamples))('Ed-Fi %s', (kind, patch) => {
    const meaning = EDFI_ROW_TABLE[kind as keyof typeof EDFI_ROW_TABLE];
    check(meaning, adaptEdfiActivityRow('system-activities', { line: 2, record: { ...edfiBase, ...patch } }, ctx), 180);
  });
  test.each(Object.entries(gcExamples))('Google Classroom %s', (kind, patch) => {
    const meaning = GOOGLE_CLASSROOM_ROW_TABLE[kind as keyof typeof GOOGLE_CLASSROOM_ROW_TABLE];
    check(meaning, adaptGoogleClassroomUsageRow({ line: 2, record: { ...gcBase, ...patch } }, ctx));
  });
});
