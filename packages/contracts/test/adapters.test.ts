import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as readline from 'node:readline';
import {
  adaptCaliper,
  adaptSquidLine,
  adaptSquidLog,
  adaptSquidStream,
  adaptXapi,
  applyIdMapping,
  findDuplicateKey,
  nativeEventSchema,
  parseIsoDuration,
  readSourceInstant,
  type AdaptResult,
} from '../src';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures');
const read = (p: string): unknown => JSON.parse(fs.readFileSync(path.join(FIXTURES, p), 'utf8'));
const CAL = { districtId: 'd1', now: new Date('2020-01-01T00:00:00Z') };

function only(r: AdaptResult) {
  expect(r.rejects).toEqual([]);
  expect(r.events).toHaveLength(1);
  const e = r.events[0]!;
  expect(nativeEventSchema.safeParse(e).success).toBe(true);
  return e;
}

describe('Caliper', () => {
  it('ToolUseEvent with MinutesOnTask → use with active_seconds = minutes × 60', () => {
    // The fixture measures a term (2019-08-15 → 2019-11-15): skipped as a cumulative report
    // (review-meaning.test.ts). The same minutes measured within the day are that day's time.
    const ev = read('caliper-common-fixtures/v1p2/caliperEventToolUseUsedWithProgress.json') as {
      generated: { items: Array<{ startedAtTime: string }> };
    };
    expect(adaptCaliper(ev, CAL).skipped.map((s) => s.reason)).toEqual(['aggregate_report']);
    ev.generated.items[0]!.startedAtTime = '2019-11-14T22:00:00.000Z';
    const e = only(adaptCaliper(ev, CAL));
    expect(e).toEqual({
      event_id: 'urn:uuid:7e10e4f3-a0d8-4430-95bd-783ffae4d916',
      occurred_at: '2019-11-15T10:15:00.000Z',
      district_id: 'd1',
      source: 'caliper',
      type: 'use',
      user: { sourced_id: '554433' },
      app: { domain: 'example.edu', url: 'https://example.edu' },
      active_seconds: 873 * 60,
      class_id: '1',
    });
  });

  it('MinutesOnTask over 24 h or negative is rejected naming the measure', () => {
    const ev = read('caliper-common-fixtures/v1p2/caliperEventToolUseUsedWithProgress.json') as {
      generated: { items: Array<{ metricValue: number; startedAtTime: string }> };
    };
    ev.generated.items[0]!.metricValue = 1441;
    // Over the fixture's term 1441 minutes are a valid total, skipped as a cumulative report.
    expect(adaptCaliper(ev, CAL).skipped.map((s) => s.reason)).toEqual(['aggregate_report']);
    ev.generated.items[0]!.startedAtTime = '2019-11-14T22:00:00.000Z';
    expect(adaptCaliper(ev, CAL).rejects[0]!.reason).toMatchObject({
      code: 'invalid_field',
      field: 'generated.items.0.metricValue',
    });
    ev.generated.items[0]!.metricValue = -3;
    expect(adaptCaliper(ev, CAL).rejects[0]!.reason).toMatchObject({
      code: 'invalid_field',
      field: 'generated.items.0.metricValue',
    });
  });

  it('thinned event (actor, object, edApp, group as IRI strings)', () => {
    const e = only(
      adaptCaliper(read('caliper-common-fixtures/v1p2/caliperEventNavigationNavigatedToThinned.json'), CAL),
    );
    expect(e).toMatchObject({
      type: 'page_view',
      user: { sourced_id: '554433' },
      app: { domain: 'example.edu', url: 'https://example.edu/terms/201601/courses/7/sections/1/pages/2' },
      class_id: '1',
    });
  });

  it('Envelope with several events: each by its meaning, entities and grading skipped by index', () => {
    // NavigationEvent NavigatedTo, AnnotationEvent Bookmarked (a learner annotating: use), ViewEvent Viewed.
    const r = adaptCaliper(read('caliper-common-fixtures/v1p2/caliperEnvelopeEventBatch.json'), CAL);
    expect(r.events.map((e) => e.type)).toEqual(['page_view', 'use', 'page_view']);
    expect(r.rejects).toEqual([]);
    // Four entities, AssessmentEvent Started and Submitted, GradeEvent Graded by the auto-grader.
    const mixed = adaptCaliper(read('caliper-common-fixtures/v1p1/caliperEnvelopeMixedBatch.json'), CAL);
    expect(mixed.skipped.map((s) => [s.index, s.reason])).toEqual([
      [0, 'caliper_entity'],
      [1, 'caliper_entity'],
      [2, 'caliper_entity'],
      [3, 'caliper_entity'],
      [6, 'grading'],
    ]);
    expect(mixed.events.map((e) => e.type)).toEqual(['use', 'use']);
    expect(mixed.rejects).toEqual([]);
  });

  it('an action the type does not define is rejected naming action; an unknown type naming type', () => {
    const ev = read('caliper-common-fixtures/v1p2/caliperEventMediaPausedVideo.json') as Record<string, unknown>;
    expect(adaptCaliper({ ...ev, action: 'Graded' }, CAL).rejects[0]!.reason).toMatchObject({
      code: 'unsupported_event',
      field: 'action',
    });
    expect(adaptCaliper({ ...ev, type: 'HologramEvent' }, CAL).rejects[0]!.reason).toMatchObject({
      code: 'unsupported_event',
      field: 'type',
    });
  });

  it('session events: LoggedIn → login, TimedOut → logout for the session user (actor is the app)', () => {
    expect(only(adaptCaliper(read('caliper-common-fixtures/v1p2/caliperEventSessionLoggedIn.json'), CAL)).type).toBe(
      'login',
    );
    const t = only(adaptCaliper(read('caliper-common-fixtures/v1p2/caliperEventSessionTimedOut.json'), CAL));
    expect(t).toMatchObject({ type: 'logout', user: { sourced_id: '112233' }, app: { domain: 'example.edu' } });
  });

  it('Caliper 1.0 (@id/@type IRIs, no id) gets a deterministic content hash as event_id', () => {
    const a = only(
      adaptCaliper(read('caliper-common-fixtures/v1p0/caliperViewEvent.json'), {
        ...CAL,
        now: new Date('2016-01-01T00:00:00Z'),
      }),
    );
    const b = only(
      adaptCaliper(read('caliper-common-fixtures/v1p0/caliperViewEvent.json'), {
        ...CAL,
        now: new Date('2016-01-01T00:00:00Z'),
      }),
    );
    expect(a.event_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a.event_id).toBe(b.event_id);
    expect(a).toMatchObject({ type: 'page_view', user: { sourced_id: '554433' }, class_id: '001' });
  });

  it('actor and group mappings are configurable; no names ever reach the event', () => {
    const ev = read('caliper-common-fixtures/v1p2/caliperEventViewViewed.json');
    expect(only(adaptCaliper(ev, { ...CAL, actorMapping: { kind: 'iri' } })).user).toEqual({
      username: 'https://example.edu/users/554433',
    });
    const rx = only(
      adaptCaliper(ev, {
        ...CAL,
        actorMapping: { kind: 'regex', pattern: '/users/(\\d+)$' },
        groupMapping: { kind: 'regex', pattern: 'courses/(\\d+)/sections/(\\d+)' },
      }),
    );
    expect(rx.user).toEqual({ sourced_id: '554433' });
    expect(rx.class_id).toBe('7');
    const miss = adaptCaliper(ev, { ...CAL, actorMapping: { kind: 'regex', pattern: '^urn:x:(\\d+)$' } });
    expect(miss.rejects[0]!.reason).toMatchObject({ code: 'invalid_field', field: 'actor.id' });
    expect(JSON.stringify(only(adaptCaliper(ev, CAL)))).not.toMatch(/name|Franz|Caliper Case/i);
  });

  it('app_id from catalog hints by host or IRI prefix', () => {
    const ev = read('caliper-common-fixtures/v1p2/caliperEventViewViewed.json');
    expect(only(adaptCaliper(ev, { ...CAL, appIds: { 'example.edu': 'lms' } })).app.app_id).toBe('lms');
    expect(
      only(adaptCaliper(ev, { ...CAL, appIds: { 'https://example.edu/etexts/': 'etexts', 'example.edu': 'lms' } })).app
        .app_id,
    ).toBe('etexts');
  });

  it('otherEvents: "use" counts other event types by a person as use', () => {
    const r = adaptCaliper(read('caliper-common-fixtures/v1p2/caliperEventMediaPausedVideo.json'), {
      ...CAL,
      otherEvents: 'use',
    });
    expect(only(r).type).toBe('use');
  });

  it('a wrong envelope and malformed JSON text are rejected, not thrown', () => {
    expect(adaptCaliper({ sensor: 's', data: 'x' }, CAL).rejects[0]!.reason).toMatchObject({
      code: 'invalid_field',
      field: 'data',
    });
    expect(adaptCaliper('{"sensor":', CAL).rejects[0]!.reason).toMatchObject({ code: 'malformed_json', line: 1 });
  });
});

describe('xAPI', () => {
  const NOW = new Date('2024-06-01T00:00:00Z');

  it('DA2022 statement: PT4H35M20.00S → 16520 s, +09:00 timestamp kept, account.name → sourced_id', () => {
    const fixture = read('1edtechjapan-da2022/xapi_statement_20230307.json') as Array<Record<string, unknown>>;
    // As sent it is progress on a whole course over a month (skipped, review-meaning.test.ts); the same
    // statement about a unit of the course, without the period, is that session's time.
    expect(adaptXapi(fixture, { districtId: 'd1', now: NOW }).skipped.map((s) => s.reason)).toEqual(['system_record']);
    const st = structuredClone(fixture[0]!) as {
      object: { definition: { type: string } };
      context: { extensions?: unknown };
    };
    st.object.definition.type = 'http://adlnet.gov/expapi/activities/module';
    delete st.context.extensions;
    const e = only(adaptXapi([st], { districtId: 'd1', now: NOW }));
    expect(e).toMatchObject({
      occurred_at: '2023-02-28T12:00:21.619+09:00',
      type: 'use',
      source: 'xapi',
      user: { sourced_id: 'C2EA034D-9BF1-465F-8193-542B67F3A665' },
      // The activity IRIs are in ADL's namespace (adlnet.gov/courses/…): the app is the account's home page.
      app: { domain: 'atr-call-vm2.coolware.private', url: 'https://atr-call-vm2.coolware.private' },
      active_seconds: 16520,
    });
    expect(e.event_id).toMatch(/^sha256:/);
  });

  it('parses ISO 8601 durations', () => {
    expect(parseIsoDuration('PT4H35M20.00S')).toBe(16520);
    expect(parseIsoDuration('PT03M15S')).toBe(195);
    expect(parseIsoDuration('P1DT1S')).toBe(86401);
    expect(parseIsoDuration('PT0,5S')).toBe(0.5);
    expect(parseIsoDuration('P')).toBeNull();
    expect(parseIsoDuration('PT')).toBeNull();
    expect(parseIsoDuration('-PT1H')).toBeNull();
    expect(parseIsoDuration('4 hours')).toBeNull();
  });

  const base = {
    id: 'fd41c918-b88b-4b20-a0a5-a4c32391aaa0',
    timestamp: '2024-05-02T10:00:00',
    actor: { objectType: 'Agent', account: { homePage: 'https://lms.example.org', name: 'stu-42' } },
    verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
    object: { id: 'https://www.khanacademy.org/math/algebra', objectType: 'Activity' },
    context: { contextActivities: { grouping: [{ id: 'https://lms.example.org/class/CLS-7' }] } },
    result: { duration: 'PT25M' },
  };

  it('maps a statement: timestamp without offset is UTC, viewed/experienced → page_view, class by pattern', () => {
    const e = only(adaptXapi(base, { districtId: 'd1', now: NOW, classPattern: '/class/([^/]+)$' }));
    expect(e).toEqual({
      event_id: base.id,
      occurred_at: '2024-05-02T10:00:00Z',
      district_id: 'd1',
      source: 'xapi',
      type: 'page_view',
      user: { sourced_id: 'stu-42' },
      app: { domain: 'www.khanacademy.org', url: 'https://www.khanacademy.org/math/algebra' },
      active_seconds: 1500,
      class_id: 'CLS-7',
    });
  });

  it('actor identifiers: mbox → email, mbox_sha1sum/openid → username, account mapping configurable; Group rejected', () => {
    const withActor = (actor: unknown) => ({ ...base, actor });
    expect(only(adaptXapi(withActor({ mbox: 'mailto:kid@school.org' }), { districtId: 'd1', now: NOW })).user).toEqual({
      email: 'kid@school.org',
    });
    expect(only(adaptXapi(withActor({ mbox_sha1sum: 'A'.repeat(40) }), { districtId: 'd1', now: NOW })).user).toEqual({
      username: 'a'.repeat(40),
    });
    expect(
      only(adaptXapi(withActor({ openid: 'https://id.example/u/1' }), { districtId: 'd1', now: NOW })).user,
    ).toEqual({ username: 'https://id.example/u/1' });
    expect(
      only(adaptXapi(base, { districtId: 'd1', now: NOW, accountMapping: { kind: 'whole', target: 'username' } })).user,
    ).toEqual({ username: 'stu-42' });
    expect(
      only(adaptXapi(base, { districtId: 'd1', now: NOW, accountMapping: { kind: 'regex', pattern: '^stu-(\\d+)$' } }))
        .user,
    ).toEqual({ sourced_id: '42' });
    const bad = (actor: unknown) => adaptXapi(withActor(actor), { districtId: 'd1', now: NOW }).rejects[0]!.reason;
    expect(bad({ objectType: 'Group', member: [] })).toMatchObject({
      code: 'unsupported_event',
      field: 'actor.objectType',
    });
    expect(bad({ mbox: 'kid@school.org' })).toMatchObject({ code: 'invalid_field', field: 'actor.mbox' });
    expect(bad({ account: { homePage: 'x' } })).toMatchObject({
      code: 'missing_identifier',
      field: 'actor.account.name',
    });
    expect(bad({ name: 'Only A Name' })).toMatchObject({ code: 'missing_identifier', field: 'actor' });
  });

  it('verb mapping: by the last IRI segment; not-usage verbs skipped; overrides win', () => {
    const outcome = (verb: string, verbTypes?: Record<string, 'use' | 'reject'>): string => {
      const r = adaptXapi(
        { ...base, verb: { id: verb } },
        { districtId: 'd1', now: NOW, ...(verbTypes ? { verbTypes } : {}) },
      );
      return r.events[0]?.type ?? r.skipped[0]?.reason ?? `${r.rejects[0]!.reason.code}@${r.rejects[0]!.reason.field}`;
    };
    expect(outcome('https://xapi.edlm/profiles/edlm-lms/concepts/verbs/login')).toBe('login');
    expect(outcome('https://w3id.org/xapi/adl/verbs/logged-in')).toBe('login');
    expect(outcome('https://w3id.org/xapi/adl/verbs/logged-out')).toBe('logout');
    expect(outcome('https://w3id.org/xapi/adl/verbs/abandoned')).toBe('logout');
    expect(outcome('http://adlnet.gov/expapi/verbs/exited')).toBe('use');
    expect(outcome('http://adlnet.gov/expapi/verbs/terminated')).toBe('use');
    expect(outcome('http://adlnet.gov/expapi/verbs/Terminated/')).toBe('use');
    expect(outcome('http://adlnet.gov/expapi/verbs/viewed')).toBe('page_view');
    expect(outcome('http://adlnet.gov/expapi/verbs/launched')).toBe('use');
    expect(outcome('https://example.com/verbs/doodled')).toBe('use');
    expect(outcome('http://adlnet.gov/expapi/verbs/voided')).toBe('voided');
    expect(outcome('http://adlnet.gov/expapi/verbs/registered')).toBe('enrolment');
    expect(outcome('https://w3id.org/xapi/acrossx/verbs/evaluated')).toBe('grading');
    expect(outcome('https://w3id.org/xapi/adl/verbs/waived')).toBe('system_record');
    const registered = 'http://adlnet.gov/expapi/verbs/registered';
    expect(outcome(registered, { [registered]: 'use' })).toBe('use');
    const doodled = 'https://example.com/verbs/doodled';
    expect(outcome(doodled, { [doodled]: 'reject' })).toBe('unsupported_event@verb.id');
  });

  it('result.duration over 24 h or malformed is rejected naming result.duration', () => {
    for (const duration of ['PT24H0M1S', 'P2D', 'soon', 'PT-5S']) {
      const r = adaptXapi({ ...base, result: { duration } }, { districtId: 'd1', now: NOW });
      expect(r.rejects[0]!.reason).toMatchObject({ code: 'invalid_field', field: 'result.duration' });
    }
  });

  it('timestamp: missing → stored → receivedAt → rejected naming timestamp; future timestamps rejected', () => {
    const { timestamp: _t, ...noTs } = base;
    expect(adaptXapi(noTs, { districtId: 'd1', now: NOW }).rejects[0]!.reason).toMatchObject({
      code: 'invalid_field',
      field: 'timestamp',
    });
    expect(
      only(adaptXapi({ ...noTs, stored: '2024-05-03T00:00:00Z' }, { districtId: 'd1', now: NOW })).occurred_at,
    ).toBe('2024-05-03T00:00:00Z');
    expect(
      only(adaptXapi(noTs, { districtId: 'd1', now: NOW, receivedAt: new Date('2024-05-04T00:00:00Z') })).occurred_at,
    ).toBe('2024-05-04T00:00:00.000Z');
    const future = adaptXapi({ ...base, timestamp: '2024-06-03T00:00:00Z' }, { districtId: 'd1', now: NOW });
    expect(future.rejects[0]!.reason).toMatchObject({ code: 'invalid_field', field: 'timestamp' });
    expect(future.rejects[0]!.reason.message).toMatch(/future/);
  });

  it('timestamp spellings ISO 8601 and RFC 3339 allow are read as their instant, written one way', () => {
    const at = (timestamp: string) => {
      const r = adaptXapi({ ...base, timestamp }, { districtId: 'd1', now: NOW });
      return r.events[0]?.occurred_at ?? r.rejects[0]!.reason.message;
    };
    expect(at('2024-05-02T15:00:00+05')).toBe('2024-05-02T15:00:00+05:00');
    expect(at('2024-05-02T15:00:00-0330')).toBe('2024-05-02T15:00:00-03:30');
    expect(at('2024-05-02t10:00:00z')).toBe('2024-05-02T10:00:00Z');
    expect(at('2024-05-02 10:00:00.5+00:00')).toBe('2024-05-02T10:00:00.5+00:00');
    expect(at('2024-05-02T10:00:00.1234567891Z')).toBe('2024-05-02T10:00:00.123456789Z');
    expect(Date.parse(at('2024-05-02T15:00:00+05'))).toBe(Date.parse('2024-05-02T10:00:00Z'));
    // Not ISO 8601 date-times, or not real ones: rejected naming the field.
    expect(at('2024-05-02T10:00:00,5Z')).toBe('timestamp: must be an ISO 8601 date-time');
    expect(at('2024-05-02T10:00:00+5')).toBe('timestamp: must be an ISO 8601 date-time');
    expect(at('2024-02-30T10:00:00Z')).toBe('timestamp: is not a real date-time');
    expect(at('2024-05-02T24:00:00Z')).toBe('timestamp: is not a real date-time');
    expect(readSourceInstant('2024-05-02T10:00')).toEqual({ ok: true, value: '2024-05-02T10:00Z' });
  });

  it('statements without id get a deterministic hash; arrays keep indexes', () => {
    const { id: _id, ...noId } = base;
    const r = adaptXapi([noId, noId, { verb: {} }], { districtId: 'd1', now: NOW });
    expect(r.events[0]!.event_id).toBe(r.events[1]!.event_id);
    expect(r.events[0]!.event_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.rejects[0]).toMatchObject({ index: 2, reason: { code: 'missing_identifier', field: 'actor' } });
  });

  it('duplicate keys in the raw text are rejected (xAPI), JSON.parse would hide them', () => {
    expect(findDuplicateKey('{"a":1,"b":{"c":[{"d":1,"d":2}]}}')).toBe('b.c.0.d');
    expect(findDuplicateKey('{"a":"\\"a\\"","b":[1,2,{"a":1}]}')).toBeNull();
    const text = fs.readFileSync(
      path.join(FIXTURES, 'adlnet-lrs-conformance-test-suite/v2_0/templates/statements/multiple_actor.json'),
      'utf8',
    );
    expect(adaptXapi(text, { districtId: 'd1', now: NOW, receivedAt: NOW }).rejects[0]!.reason).toMatchObject({
      code: 'invalid_field',
      field: 'actor',
    });
  });

  it('an app that only a default or the catalog can name', () => {
    const s = {
      ...base,
      object: { id: 'block-v1:edX+DemoX', objectType: 'Activity' },
      context: {},
      actor: { mbox: 'mailto:k@s.org' },
    };
    expect(adaptXapi(s, { districtId: 'd1', now: NOW }).rejects[0]!.reason).toMatchObject({
      code: 'missing_identifier',
      field: 'object.id',
    });
    expect(only(adaptXapi(s, { districtId: 'd1', now: NOW, defaultApp: { app_id: 'edx' } })).app).toEqual({
      app_id: 'edx',
    });
  });
});

describe('Squid', () => {
  const SQ = { districtId: 'd1', now: new Date('2024-06-01T00:00:00Z') };
  const line =
    '1717000000.123    250 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT www.khanacademy.org:443 jdoe HIER_DIRECT/104.16.1.1 -';

  it('native CONNECT line fields → heartbeat event keyed by person × host × minute', () => {
    const r = adaptSquidLine(line, 7, SQ);
    const e = only(r);
    expect(e).toEqual({
      event_id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      occurred_at: '2024-05-29T16:26:40.123Z',
      district_id: 'd1',
      source: 'proxy',
      type: 'heartbeat',
      user: { username: 'jdoe' },
      app: { domain: 'www.khanacademy.org' },
      client_ip: '10.1.2.3',
    });
    // A tunnel is activity, not a page: its id is the minute key, whatever the line number or second.
    expect(adaptSquidLine(line, 8, SQ).events[0]!.event_id).toBe(e.event_id);
    expect(adaptSquidLine(line.replace('1717000000.123', '1717000019.999'), 9, SQ).events[0]!.event_id).toBe(
      e.event_id,
    );
    expect(adaptSquidLine(line.replace('1717000000.123', '1717000020.000'), 9, SQ).events[0]!.event_id).not.toBe(
      e.event_id,
    );
  });

  it('page lines: one page_view per line, id from the line and its number', () => {
    const page =
      '1717000000.123    250 10.1.2.3 TCP_MISS/200 48213 GET http://www.khanacademy.org/math jdoe HIER_DIRECT/104.16.1.1 text/html';
    const e = only(adaptSquidLine(page, 7, SQ));
    expect(e.type).toBe('page_view');
    // Same line, same number → same id (re-import); other number → other id.
    expect(adaptSquidLine(page, 7, SQ).events[0]!.event_id).toBe(e.event_id);
    expect(adaptSquidLine(page, 8, SQ).events[0]!.event_id).not.toBe(e.event_id);
  });

  it('GET lines: url without query; user column URL-decoded; appIds; email target', () => {
    const l =
      '1717000000.000 12 10.0.0.9 TCP_MISS/200 900 GET http://docs.google.com/document/d/1?usp=x jane%40school.org HIER_DIRECT/1.2.3.4 text/html';
    const e = only(adaptSquidLine(l, 1, { ...SQ, userField: 'email', appIds: { 'google.com': 'gsuite' } }));
    expect(e.user).toEqual({ email: 'jane@school.org' });
    expect(e.app).toEqual({ app_id: 'gsuite', domain: 'docs.google.com', url: 'http://docs.google.com/document/d/1' });
  });

  it('no user: rejected naming rfc931, unless the client IP may stand in as device', () => {
    const l = line.replace(' jdoe ', ' - ');
    expect(adaptSquidLine(l, 3, SQ).rejects[0]!.reason).toMatchObject({
      code: 'missing_identifier',
      field: 'rfc931',
      line: 3,
    });
    expect(only(adaptSquidLine(l, 3, { ...SQ, ipAsDevice: true })).user).toEqual({ device_id: '10.1.2.3' });
  });

  it('denied, no-reply and cache-manager lines are skipped; comments and blanks ignored; junk rejected by line', () => {
    const text = [
      '# squid log',
      '',
      line.replace('TCP_TUNNEL/200', 'TCP_DENIED/403'),
      line.replace('TCP_TUNNEL/200', 'TCP_DENIED/407'),
      line.replace('TCP_TUNNEL/200', 'NONE/000'),
      '1717000000.000 1 10.0.0.1 TCP_MISS/200 1 GET cache_object://localhost/info - HIER_NONE/- text/plain',
      'garbage here',
      line,
    ].join('\r\n');
    const r = adaptSquidLog(text, SQ);
    expect(r.events).toHaveLength(1);
    expect(r.skipped.map((s) => [s.line, s.reason])).toEqual([
      [3, 'proxy_denied'],
      [4, 'proxy_denied'],
      [5, 'proxy_no_reply'],
      [6, 'proxy_internal'],
    ]);
    expect(r.rejects.map((x) => [x.reason.code, x.reason.line, x.payload])).toEqual([
      ['unparseable_line', 7, 'garbage here'],
    ]);
  });

  it('common/combined log format', () => {
    const l =
      '10.0.0.5 - bob [29/May/2024:11:26:40 -0500] "GET https://www.ixl.com/math/grade-3?q=1 HTTP/1.1" 200 5120 "-" "Mozilla/5.0" TCP_MISS:HIER_DIRECT';
    const e = only(adaptSquidLine(l, 1, SQ));
    expect(e).toMatchObject({
      occurred_at: '2024-05-29T16:26:40.000Z',
      user: { username: 'bob' },
      app: { domain: 'www.ixl.com', url: 'https://www.ixl.com/math/grade-3' },
      client_ip: '10.0.0.5',
    });
  });

  it('streams lines from a readable with one outcome per non-blank line', async () => {
    const input = Readable.from([`${line}\n\nnot a line\n`, `${line.replace(' jdoe ', ' - ')}\n`]);
    const out: string[] = [];
    for await (const item of adaptSquidStream(readline.createInterface({ input, crlfDelay: Infinity }), SQ)) {
      out.push(
        `${item.line}:${'event' in item ? 'event' : 'rejection' in item ? item.rejection.reason.code : item.skip.reason}`,
      );
    }
    expect(out).toEqual(['1:event', '3:unparseable_line', '4:missing_identifier']);
  });
});

describe('robustness: adapters never throw', () => {
  const junk: unknown[] = [
    null,
    undefined,
    0,
    'x',
    '',
    '[]',
    '{',
    [],
    [null],
    [[]],
    {},
    { data: null, sensor: 1 },
    { data: [1, 'a', null], sensor: 's' },
    { type: 'ViewEvent', action: {}, actor: 5 },
    { actor: { account: 5 }, verb: 'x', object: [] },
    { actor: { mbox: 'mailto:a@b.c' }, verb: { id: 'x' }, object: { id: 'http://a.b' }, timestamp: 12 },
    {
      type: 'ToolUseEvent',
      action: 'Used',
      actor: 'https://a.b/u/1',
      edApp: 'https://a.b',
      eventTime: '2019-06-01T00:00:00Z',
      generated: { type: 'AggregateMeasureCollection', items: 'x' },
    },
  ];
  it.each(junk.map((j, i) => [i, j]))('junk #%s', (_i, j) => {
    for (const run of [() => adaptCaliper(j, CAL), () => adaptXapi(j, CAL), () => adaptSquidLine(String(j), 1, CAL)]) {
      let r: AdaptResult | undefined;
      expect(() => (r = run())).not.toThrow();
      for (const x of r!.rejects) expect(x.reason.code).not.toBe('internal_error');
    }
  });
  it('a bad configured regex becomes an internal_error rejection, not a throw', () => {
    const r = adaptCaliper(read('caliper-common-fixtures/v1p2/caliperEventViewViewed.json'), {
      ...CAL,
      actorMapping: { kind: 'regex', pattern: '(' },
    });
    expect(r.rejects[0]!.reason.code).toBe('internal_error');
  });
  it('applyIdMapping', () => {
    expect(applyIdMapping('https://x.edu/users/a%20b/', { kind: 'iri_last_segment' })).toEqual({
      value: 'a b',
      target: 'sourced_id',
    });
    expect(applyIdMapping('urn:uuid:123', { kind: 'iri_last_segment' })).toEqual({
      value: '123',
      target: 'sourced_id',
    });
    expect(applyIdMapping('https://x.edu/', { kind: 'iri_last_segment' })).toEqual({
      value: 'x.edu',
      target: 'sourced_id',
    });
  });
});
