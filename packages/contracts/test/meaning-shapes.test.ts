/**
 * Shapes seen in the wild that were counted with the wrong meaning (issue 12). Each item below is
 * written by us in the shape it had in the wild; the expected outcome is written by hand from what
 * the item means (docs/MEANING.md), not from what the adapter produced.
 */
import { adaptCaliper, adaptXapi, nativeEventSchema, type AdaptResult, type NativeEvent } from '../src';

const NOW = new Date('2026-03-01T00:00:00Z');
const X = { districtId: 'd1', now: NOW };
const C = { districtId: 'd1', now: NOW };
const CMI5_SESSION = 'https://w3id.org/xapi/cmi5/context/extensions/sessionid';
const CMI5_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';

function oneEvent(r: AdaptResult): NativeEvent {
  expect(r.rejects).toEqual([]);
  expect(r.skipped).toEqual([]);
  expect(r.events).toHaveLength(1);
  expect(nativeEventSchema.safeParse(r.events[0]).success).toBe(true);
  return r.events[0]!;
}
function oneSkip(r: AdaptResult): string {
  expect(r.events).toEqual([]);
  expect(r.rejects).toEqual([]);
  expect(r.skipped).toHaveLength(1);
  return r.skipped[0]!.reason;
}

const learner = { objectType: 'Agent', account: { homePage: 'https://lms.example.org', name: 'stutest' } };
const au = { objectType: 'Activity', id: 'https://content.example.org/au/geology-1' };

describe('xAPI shapes from the wild', () => {
  it('cmi5 abandoned outside a session (no session id): a logout, no minute', () => {
    const e = oneEvent(
      adaptXapi(
        {
          actor: learner,
          verb: { id: 'https://w3id.org/xapi/adl/verbs/abandoned' },
          object: au,
          timestamp: '2026-02-10T09:30:00Z',
        },
        X,
      ),
    );
    expect(e.type).toBe('logout');
    expect(e.active_seconds).toBeUndefined();
  });

  it('cmi5 abandoned in a session: the LMS-measured session time, never an extra minute', () => {
    const e = oneEvent(
      adaptXapi(
        {
          actor: learner,
          verb: { id: 'https://w3id.org/xapi/adl/verbs/abandoned' },
          object: au,
          result: { duration: 'PT11.26S' },
          context: {
            contextActivities: { category: [{ id: CMI5_CATEGORY }] },
            extensions: { [CMI5_SESSION]: 's-1' },
          },
          timestamp: '2026-02-10T09:30:00Z',
        },
        X,
      ),
    );
    expect(e).toMatchObject({ type: 'use', active_seconds: 11 });
  });

  it('"evaluated" with the student as actor and the grader in context.instructor is nobody\'s use', () => {
    const r = adaptXapi(
      {
        actor: { account: { homePage: 'https://lms.example.org', name: 'stutest' } },
        verb: { id: 'https://w3id.org/xapi/acrossx/verbs/evaluated' },
        object: { id: 'https://lms.example.org/mod/assign/view.php?id=4' },
        result: { score: { raw: 25 } },
        context: { instructor: { account: { homePage: 'https://lms.example.org', name: 'teacher1' } } },
        timestamp: '2026-02-10T09:30:00Z',
      },
      X,
    );
    expect(oneSkip(r)).toBe('grading');
  });

  it('"scored" (Moodle assign graded shape) is skipped as grading', () => {
    const r = adaptXapi(
      {
        actor: learner,
        verb: { id: 'https://w3id.org/xapi/tla/verbs/scored' },
        object: { id: 'https://lms.example.org/mod/assign/view.php?id=4' },
        result: { score: { raw: 5, min: 0, max: 10, scaled: 0.5 }, completion: true },
        context: { instructor: { account: { homePage: 'https://lms.example.org', name: '2' } } },
        timestamp: '2026-02-10T09:30:00Z',
      },
      X,
    );
    expect(oneSkip(r)).toBe('grading');
  });

  it('video "terminated" (closing the player) is use like paused/played, a minute', () => {
    const video = {
      id: 'https://video.example.org/v/42',
      definition: { type: 'https://w3id.org/xapi/video/activity-type/video' },
    };
    const base = { actor: learner, object: video, timestamp: '2026-02-10T09:30:00Z' };
    const paused = oneEvent(adaptXapi({ ...base, verb: { id: 'https://w3id.org/xapi/video/verbs/paused' } }, X));
    const closed = oneEvent(
      adaptXapi(
        {
          ...base,
          verb: { id: 'http://adlnet.gov/expapi/verbs/terminated' },
          result: { extensions: { 'https://w3id.org/xapi/video/extensions/time': 31.2 } },
        },
        X,
      ),
    );
    expect(paused.type).toBe('use');
    expect(closed.type).toBe('use');
    expect(closed.active_seconds).toBeUndefined(); // no duration: one minute, like paused
  });

  it('a SubStatement with verb "planned" is a plan, not use', () => {
    const r = adaptXapi(
      {
        actor: learner,
        verb: { id: 'http://example.com/verbs/planned' },
        object: {
          objectType: 'SubStatement',
          actor: learner,
          verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
          object: { id: 'https://museum.example.org/visit' },
        },
        timestamp: '2026-02-10T09:30:00Z',
      },
      X,
    );
    expect(oneSkip(r)).toBe('planned');
  });

  it('cmi5 completed + passed + terminated of one session count the session time once', () => {
    const session = {
      contextActivities: { category: [{ id: CMI5_CATEGORY }] },
      extensions: { [CMI5_SESSION]: 's-2' },
    };
    const st = (verb: string, duration: string, minute: number) => ({
      actor: learner,
      verb: { id: `http://adlnet.gov/expapi/verbs/${verb}` },
      object: au,
      result: { duration },
      context: session,
      timestamp: `2026-02-10T09:${String(minute).padStart(2, '0')}:00Z`,
    });
    const r = adaptXapi(
      [st('completed', 'PT1M31S', 31), st('passed', 'PT1M31S', 31), st('terminated', 'PT1M31S', 32)],
      X,
    );
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.type, e.active_seconds])).toEqual([
      ['use', 0],
      ['use', 0],
      ['use', 91],
    ]);
  });

  it.each([
    ['passed', 'http://adlnet.gov/expapi/activities/course'], // Open edX edx.course.grade.passed.first_time
    ['failed', 'http://adlnet.gov/expapi/activities/course'], // Open edX edx.course.grade.now_failed
    ['completed', 'https://w3id.org/xapi/cmi5/activitytype/course'], // Moodle course_completed (cron)
  ])('%s of a whole course (%s) is a status the LMS computes: skipped', (verb, type) => {
    const r = adaptXapi(
      {
        actor: learner,
        verb: { id: `http://adlnet.gov/expapi/verbs/${verb}` },
        object: { id: 'https://lms.example.org/course/view.php?id=7', definition: { type } },
        timestamp: '2026-02-10T09:30:00Z',
      },
      X,
    );
    expect(oneSkip(r)).toBe('system_record');
  });

  it("passed of an AU or a quiz (not a course) is the learner's act: use", () => {
    const r = adaptXapi(
      {
        actor: learner,
        verb: { id: 'http://adlnet.gov/expapi/verbs/passed' },
        object: { ...au, definition: { type: 'http://adlnet.gov/expapi/activities/assessment' } },
        timestamp: '2026-02-10T09:30:00Z',
      },
      X,
    );
    expect(oneEvent(r).type).toBe('use');
  });

  it('completed with a duration outside a cmi5 session keeps its duration', () => {
    const e = oneEvent(
      adaptXapi(
        {
          actor: learner,
          verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
          object: au,
          result: { duration: 'PT4M' },
          timestamp: '2026-02-10T09:30:00Z',
        },
        X,
      ),
    );
    expect(e.active_seconds).toBe(240);
  });
});

describe('Caliper shapes from the wild', () => {
  const person = { id: 'https://example.edu/users/554433', type: 'Person' };
  const edApp = { id: 'https://example.edu', type: 'SoftwareApplication' };
  const event = (type: string, action: string, object: unknown, actor: unknown = person) => ({
    '@context': 'http://purl.imsglobal.org/ctx/caliper/v1p2',
    id: `urn:uuid:${type.length}${action.length}0e2a4c-5b8e-4d1a-9c3f-000000000001`,
    type,
    actor,
    action,
    object,
    eventTime: '2026-02-10T09:30:00.000Z',
    edApp,
  });
  const video = { id: 'https://example.edu/videos/1225', type: 'VideoObject', duration: 'PT1H12M27S' };

  it.each(['Started', 'Paused', 'Resumed', 'Ended'])('MediaEvent %s is the learner using the app', (action) => {
    expect(oneEvent(adaptCaliper(event('MediaEvent', action, video), C)).type).toBe('use');
  });

  it('MessageEvent Posted (a reply in a discussion) is use', () => {
    const message = {
      id: 'https://example.edu/terms/201801/courses/7/sections/1/forums/2/topics/1/messages/3',
      type: 'Message',
    };
    expect(oneEvent(adaptCaliper(event('MessageEvent', 'Posted', message), C)).type).toBe('use');
  });

  it.each([
    ['AssessmentEvent', 'Started'],
    ['AssessmentEvent', 'Submitted'],
    ['AssessmentItemEvent', 'Started'],
    ['AssessmentItemEvent', 'Completed'],
    ['AssessmentItemEvent', 'Submitted'],
  ])('%s %s is the learner working in the app', (type, action) => {
    const assessment = { id: 'https://example.edu/terms/201801/courses/7/sections/1/assess/1', type: 'Assessment' };
    expect(oneEvent(adaptCaliper(event(type, action, assessment), C)).type).toBe('use');
  });

  it("GradeEvent Graded by an instructor (Canvas shape) is the grader's act: skipped, nobody's use", () => {
    const attempt = {
      id: 'urn:instructure:canvas:submission:1',
      type: 'Attempt',
      assignee: { id: 'urn:instructure:canvas:user:48', type: 'Person' },
    };
    const r = adaptCaliper(
      {
        sensor: 'https://example.edu',
        sendTime: '2026-02-10T09:30:01.000Z',
        dataVersion: 'http://purl.imsglobal.org/ctx/caliper/v1p1',
        data: [event('GradeEvent', 'Graded', attempt, { id: 'urn:instructure:canvas:user:987', type: 'Person' })],
      },
      C,
    );
    expect(oneSkip(r)).toBe('grading');
  });

  it('GradeEvent Graded by an auto-grader (SoftwareApplication actor) is skipped too, not rejected', () => {
    const attempt = { id: 'https://example.edu/attempts/1', type: 'Attempt' };
    const r = adaptCaliper(
      event('GradeEvent', 'Graded', attempt, { id: 'https://example.edu/autograder', type: 'SoftwareApplication' }),
      C,
    );
    expect(oneSkip(r)).toBe('grading');
  });
});
