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

describe('Canvas-style Caliper 1.1 live events (our items, in the shape Canvas documents for its data services)', () => {
  // Shape of Canvas's documented live-event envelopes (the originals are AGPL-3.0, so not copied):
  // a Caliper 1.1 envelope from the Canvas host, actors `urn:instructure:canvas:user:<id>`, a course
  // membership naming the role, the Canvas host as edApp.
  const host = 'https://district.instructure.example/';
  const envelope = (type: string, action: string, user: string, role: string, object: unknown) => ({
    sensor: host,
    sendTime: '2026-02-10T09:30:01.000Z',
    dataVersion: 'http://purl.imsglobal.org/ctx/caliper/v1p1',
    data: [
      {
        '@context': 'http://purl.imsglobal.org/ctx/caliper/v1p1',
        id: `urn:uuid:0b7c6c4e-5d7a-4f3e-9a61-${type.length.toString().padStart(12, '0')}`,
        type,
        actor: { id: `urn:instructure:canvas:user:${user}`, type: 'Person' },
        action,
        object,
        eventTime: '2026-02-10T09:30:00.000Z',
        edApp: { id: host, type: 'SoftwareApplication' },
        membership: { id: `urn:instructure:canvas:course:4400:${role}:${user}`, type: 'Membership' },
        session: { id: 'urn:instructure:canvas:session:5a1b2c3d', type: 'Session' },
      },
    ],
  });
  const run = (payload: unknown): AdaptResult =>
    adaptCaliper(payload, { districtId: 'd1', now: new Date('2026-03-01T00:00:00Z') });

  it("a GradeEvent Graded by the instructor is skipped (grading), nobody's use", () => {
    const attempt = { id: 'urn:instructure:canvas:submission:9001', type: 'Attempt' };
    expect(pin(run(envelope('GradeEvent', 'Graded', '7001', 'Instructor', attempt)))).toBe('skip:grading');
  });
  it("a MessageEvent Posted (a discussion reply) is the learner's use, one minute", () => {
    const message = { id: 'urn:instructure:canvas:discussionEntry:3301', type: 'Message' };
    const r = run(envelope('MessageEvent', 'Posted', '8123', 'Learner', message));
    expect(pin(r)).toBe('use minute');
    expect(r.events[0]).toMatchObject({
      user: { sourced_id: '8123' },
      app: { domain: 'district.instructure.example' },
    });
  });
  it("an AssessmentEvent Submitted (a quiz) is the learner's use, one minute", () => {
    const attempt = { id: 'urn:instructure:canvas:submission:9002', type: 'Attempt' };
    const r = run(envelope('AssessmentEvent', 'Submitted', '8124', 'Learner', attempt));
    expect(pin(r)).toBe('use minute');
    expect(r.events[0]!.user).toEqual({ sourced_id: '8124' });
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
