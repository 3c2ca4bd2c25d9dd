/**
 * Public real-world samples committed under test/samples (see test/samples/SOURCES.md). Each item's
 * outcome is pinned by hand from what the item means (docs/MEANING.md); a change of meaning turns a
 * line red. Pin: `use 0s` (active, explicit 0 s), `use 91s`, `use minute` (no duration: one minute),
 * `skip:<reason>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { adaptCaliper, adaptXapi, nativeEventSchema, type AdaptResult } from '../src';

const SAMPLES = path.join(__dirname, 'samples');

function pin(r: AdaptResult): string {
  expect(r.events.length + r.skipped.length + r.rejects.length).toBe(1);
  const e = r.events[0];
  if (e) {
    expect(nativeEventSchema.safeParse(e).success).toBe(true);
    return `${e.type} ${e.active_seconds === undefined ? 'minute' : `${e.active_seconds}s`}`;
  }
  if (r.skipped[0]) return `skip:${r.skipped[0].reason}`;
  return `reject:${r.rejects[0]!.reason.code}@${r.rejects[0]!.reason.field}`;
}

describe('cmi5 specification sample sessions (AICC/CMI-5_Spec_Current)', () => {
  // Every statement carries the cmi5 session id: only the session's closing statement adds time.
  const sessions: Array<{ dir: string; now: string; user: string; pins: Record<string, string>; seconds: number }> = [
    {
      dir: '17-abandoned_session',
      now: '2017-01-01T00:00:00Z',
      user: 'Learner',
      pins: {
        '01-launched_statement.json': 'use 0s',
        '03-initialized_statement.json': 'use 0s',
        '04-abandoned_statement.json': 'use 11s', // PT11.26S: launch → last statement, measured by the LMS
      },
      seconds: 11,
    },
    {
      dir: '19-cmi5-allowed-test-questions',
      now: '2019-01-01T00:00:00Z',
      user: '277013-1',
      pins: {
        '01-launched_statement.json': 'use 0s',
        '04-initialized_statement.json': 'use 0s',
        '05-attempted_statement_allowed.json': 'use 0s',
        '06-answered-01.json': 'use 0s', // PT0H0M4S, inside the session time
        '07-answered-02.json': 'use 0s',
        '08-answered-03.json': 'use 0s',
        '09-answered-04.json': 'use 0s',
        '10-passed_statement-allowed.json': 'use 0s', // PT0H0M32S = the four answers
        '11-completed_statement.json': 'use 0s', // PT0H1M31S
        '12-passed_statement.json': 'use 0s', // PT0H1M31S
        '13-terminated_statement.json': 'use 91s', // PT0H1M31S: the session
        '14-satisfied_statement_allowed.json': 'skip:system_record',
        '15-satisfied_statement.json': 'skip:system_record',
      },
      seconds: 91,
    },
  ];

  for (const s of sessions) {
    const dir = path.join(SAMPLES, 'cmi5-spec', s.dir);
    it(`${s.dir}: every statement as pinned, the session's time counted once`, () => {
      expect(fs.readdirSync(dir).sort()).toEqual(Object.keys(s.pins).sort());
      let seconds = 0;
      for (const [file, expected] of Object.entries(s.pins)) {
        const r = adaptXapi(fs.readFileSync(path.join(dir, file), 'utf8'), { districtId: 'd1', now: new Date(s.now) });
        expect([file, pin(r)]).toEqual([file, expected]);
        for (const e of r.events) {
          expect(e.user).toEqual({ sourced_id: s.user });
          seconds += e.active_seconds ?? 60;
        }
      }
      expect(seconds).toBe(s.seconds);
    });
  }
});

describe('Canvas LMS Caliper 1.1 examples (instructure/canvas-lms data services docs)', () => {
  const dir = path.join(SAMPLES, 'canvas-lms-caliper');
  const payload = (file: string): unknown =>
    (JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { examples: Array<{ payload: unknown }> })
      .examples[0]!.payload;
  const run = (file: string): AdaptResult =>
    adaptCaliper(payload(file), { districtId: 'd1', now: new Date('2020-01-01T00:00:00Z') });

  it("grade_change: GradeEvent Graded by the instructor is skipped (grading), nobody's use", () => {
    expect(pin(run('grade_change.json'))).toBe('skip:grading');
  });
  it("discussion_entry_created: MessageEvent Posted is the learner's use, one minute", () => {
    const r = run('discussion_entry_created.json');
    expect(pin(r)).toBe('use minute');
    expect(r.events[0]).toMatchObject({
      user: { sourced_id: '21070000000098765' },
      app: { domain: 'oxana.instructure.com' },
    });
  });
  it("quiz_submitted: AssessmentEvent Submitted is the learner's use, one minute", () => {
    const r = run('quiz_submitted.json');
    expect(pin(r)).toBe('use minute');
    expect(r.events[0]!.user).toEqual({ sourced_id: '21070000000987123' });
  });
});

describe("xAPI video profile session (our items, in the shape of the profile's statement templates)", () => {
  // Shape from liveaspankaj/xapi-video-cop templates.md (no licence file, so not copied): one player
  // session initialized → played → paused → seeked → interacted → completed → terminated, no durations.
  const verbs = [
    'http://adlnet.gov/expapi/verbs/initialized',
    'https://w3id.org/xapi/video/verbs/played',
    'https://w3id.org/xapi/video/verbs/paused',
    'https://w3id.org/xapi/video/verbs/seeked',
    'http://adlnet.gov/expapi/verbs/interacted',
    'http://adlnet.gov/expapi/verbs/completed',
    'http://adlnet.gov/expapi/verbs/terminated',
  ];
  it('every statement of the player is use with a minute; closing the player is no logout', () => {
    const statements = verbs.map((verb, i) => ({
      actor: { objectType: 'Agent', mbox: 'mailto:viewer@example.org' },
      verb: { id: verb },
      timestamp: `2026-02-10T09:${String(10 + i).padStart(2, '0')}:00.000Z`,
      object: {
        objectType: 'Activity',
        id: 'https://media.example.org/v/oceans.mp4',
        definition: { type: 'https://w3id.org/xapi/video/activity-type/video' },
      },
      result: { extensions: { 'https://w3id.org/xapi/video/extensions/time': i * 5 } },
      context: {
        contextActivities: { category: [{ id: 'https://w3id.org/xapi/video' }] },
        extensions: { 'https://w3id.org/xapi/video/extensions/session-id': 'video-session-1' },
      },
    }));
    const r = adaptXapi(statements, { districtId: 'd1', now: new Date('2026-03-01T00:00:00Z') });
    expect(r.rejects).toEqual([]);
    expect(r.skipped).toEqual([]);
    expect(r.events.map((e) => `${e.type} ${e.active_seconds ?? 'minute'}`)).toEqual(verbs.map(() => 'use minute'));
  });
});
