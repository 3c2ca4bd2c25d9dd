/**
 * Inputs once counted with the wrong meaning (docs/MEANING.md): a proxy's connectivity check
 * and a web filter's block redirect counted as use, a cumulative report's period credited to one day,
 * and xAPI vocabulary namespaces taken for the app. Expected outcomes are written by hand from what
 * each input means, not from what the adapter produced.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { adaptCaliper, adaptSquidLine, adaptSquidLog, adaptXapi, squidLineRule, type AdaptResult } from '../src';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures');
const read = (p: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, p), 'utf8')) as Record<string, unknown>;

const T = 1789725600; // 2026-09-18T10:00:00Z
const SQ = { districtId: 'd1', now: new Date((T + 3600) * 1000) };

function oneSkip(r: AdaptResult): string {
  expect(r.events).toEqual([]);
  expect(r.rejects).toEqual([]);
  expect(r.skipped).toHaveLength(1);
  return r.skipped[0]!.reason;
}

describe('proxy: a 204 No Content is no page', () => {
  it.each([
    // Chrome's and Android's connectivity checks, sent with no user at the keyboard.
    `${T}.100 12 10.1.2.3 TCP_MISS/204 180 GET http://clients3.google.com/generate_204 stu1 HIER_DIRECT/142.250.1.1 -`,
    `${T}.100 12 10.1.2.3 TCP_MISS/204 180 GET http://connectivitycheck.gstatic.com/generate_204 stu1 HIER_DIRECT/142.250.1.1 -`,
    // Google's and YouTube's own pings.
    `${T}.100 3 10.1.2.3 TCP_MISS/204 0 GET http://www.google.com/gen_204 stu3 HIER_DIRECT/1.1.1.1 -`,
    `${T}.100 3 10.1.2.3 TCP_MISS/204 0 GET http://www.youtube.com/api/stats/watchtime stu3 HIER_DIRECT/1.1.1.1 -`,
    // Even when the server names a page type: a 204 has no body, the browser stays where it was.
    `${T}.100 3 10.1.2.3 TCP_MISS/204 0 POST http://www.ixl.com/api/answer stu3 HIER_DIRECT/1.1.1.1 text/html`,
  ])('%s → heartbeat (no_content)', (line) => {
    expect(squidLineRule(line)?.id).toBe('no_content');
    const r = adaptSquidLine(line, 1, SQ);
    expect(r.events.map((e) => e.type)).toEqual(['heartbeat']);
  });
});

describe('proxy: a web filter block redirect is a denial', () => {
  it.each([
    // SquidGuard / ufdbGuard: Squid answers the redirect itself (HIER_NONE), the site is never contacted.
    `${T}.100 0 10.1.2.3 TCP_REDIRECT/302 380 GET http://www.youtube.com/watch stu2 HIER_NONE/- text/html`,
    `${T}.100 0 10.1.2.3 TCP_REDIRECT/302 380 GET http://www.coolmathgames.com/ stu1 HIER_NONE/- -`,
    `${T}.100 0 10.1.2.3 TCP_REDIRECT/301 380 CONNECT www.youtube.com:443 stu1 HIER_NONE/- -`,
  ])('%s → skip proxy_denied', (line) => {
    expect(squidLineRule(line)?.id).toBe('denied');
    expect(oneSkip(adaptSquidLine(line, 1, SQ))).toBe('proxy_denied');
  });

  it('the blocked student is not an active user of the blocked site; a redirect the site sent still counts', () => {
    const r = adaptSquidLog(
      [
        `${T}.100 0 10.1.2.3 TCP_REDIRECT/302 380 GET http://www.youtube.com/watch stu2 HIER_NONE/- text/html`,
        `${T + 60}.100 40 10.1.2.3 TCP_MISS/302 420 GET http://clever.com/login stu2 HIER_DIRECT/1.2.3.4 text/html`,
      ].join('\n'),
      SQ,
    );
    expect(r.events.map((e) => [e.type, e.app.domain])).toEqual([['heartbeat', 'clever.com']]);
    expect(r.skipped.map((s) => [s.line, s.reason])).toEqual([[1, 'proxy_denied']]);
  });
});

describe('Caliper: MinutesOnTask over a period longer than a day is no activity at the event time', () => {
  const FIXTURE = 'caliper-common-fixtures/v1p2/caliperEventToolUseUsedWithProgress.json';
  const CAL = { districtId: 'd1', now: new Date('2019-11-16T00:00:00Z') };
  const measure = (ev: Record<string, unknown>) =>
    ((ev['generated'] as Record<string, unknown>)['items'] as Array<Record<string, unknown>>)[0]!;

  it('the 1EdTech fixture (873 minutes from 2019-08-15 to 2019-11-15) is skipped as aggregate_report', () => {
    const r = adaptCaliper(read(FIXTURE), CAL);
    expect(oneSkip(r)).toBe('aggregate_report');
    expect(r.skipped[0]!.message).toMatch(/2019-08-15.*2019-11-15/);
  });

  it('a term total over 24 hours is skipped as well, not refused; a negative one is still refused', () => {
    const ev = read(FIXTURE);
    measure(ev)['metricValue'] = 2400;
    expect(oneSkip(adaptCaliper(ev, CAL))).toBe('aggregate_report');
    measure(ev)['metricValue'] = -3;
    expect(adaptCaliper(ev, CAL).rejects.map((x) => x.reason.field)).toEqual(['generated.items.0.metricValue']);
  });

  it('a week later the same report with a larger total is skipped too (never summed)', () => {
    const ev = read(FIXTURE);
    ev['id'] = 'urn:uuid:00000000-0000-4000-8000-000000000001';
    ev['eventTime'] = '2019-11-22T10:15:00.000Z';
    Object.assign(measure(ev), { metricValue: 900, endedAtTime: '2019-11-22T10:15:00.000Z' });
    const r = adaptCaliper([read(FIXTURE), ev], { districtId: 'd1', now: new Date('2019-11-23T00:00:00Z') });
    expect(r.events).toEqual([]);
    expect(r.skipped.map((s) => s.reason)).toEqual(['aggregate_report', 'aggregate_report']);
  });

  it('minutes measured over one day (or with no window) are still that day’s time', () => {
    const day = read(FIXTURE);
    Object.assign(measure(day), {
      metricValue: 45,
      startedAtTime: '2019-11-15T08:00:00.000Z',
      endedAtTime: '2019-11-15T10:15:00.000Z',
    });
    expect(adaptCaliper(day, CAL).events.map((e) => e.active_seconds)).toEqual([2700]);
    const exactlyADay = read(FIXTURE);
    Object.assign(measure(exactlyADay), {
      metricValue: 45,
      startedAtTime: '2019-11-14T10:15:00.000Z',
      endedAtTime: '2019-11-15T10:15:00.000Z',
    });
    expect(adaptCaliper(exactlyADay, CAL).events.map((e) => e.active_seconds)).toEqual([2700]);
    const noWindow = read(FIXTURE);
    delete measure(noWindow)['startedAtTime'];
    delete measure(noWindow)['endedAtTime'];
    expect(adaptCaliper(noWindow, CAL).events.map((e) => e.active_seconds)).toEqual([873 * 60]);
  });
});

describe('xAPI: a duration reported for a period longer than a day is no activity at the timestamp', () => {
  const NOW = new Date('2023-03-01T00:00:00Z');
  const X = { districtId: 'd1', now: NOW };
  const statement = (extensions: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    actor: { account: { homePage: 'https://english.example.jp', name: 'stu-1' } },
    verb: { id: 'http://adlnet.gov/expapi/verbs/progressed' },
    object: { id: 'https://english.example.jp/units/SJ01-3' },
    result: { duration: 'PT4H35M20.00S' },
    context: { extensions },
    timestamp: '2023-02-28T12:00:21.619+09:00',
    ...extra,
  });

  it('the DA2022 fixture (progressed on a course, a month of time) is not credited to 2023-02-28', () => {
    const r = adaptXapi(
      fs.readFileSync(path.join(FIXTURES, '1edtechjapan-da2022/xapi_statement_20230307.json'), 'utf8'),
      X,
    );
    expect(r.events).toEqual([]);
    expect(r.rejects).toEqual([]);
    // Progress on a whole course is a status the app computes (the course-status shape comes first).
    expect(r.skipped.map((s) => s.reason)).toEqual(['system_record']);
  });

  it.each([
    [
      'the DA2022 vendor extensions (dates)',
      {
        'https://w3id.org/xapi/atrcallbrix/startdate': '2023-01-10',
        'https://w3id.org/xapi/atrcallbrix/enddate': '2023-02-10',
      },
    ],
    [
      'instants, other spellings',
      {
        'https://example.jp/xapi/ext/start-time': '2023-02-01T00:00:00Z',
        'https://example.jp/xapi/ext/end_time': '2023-02-28T00:00:00Z',
      },
    ],
    [
      'two dates a day apart (both days included)',
      { 'https://example.jp/ext/startDate': '2023-02-27', 'https://example.jp/ext/endDate': '2023-02-28' },
    ],
  ])('%s → skip aggregate_report', (_name, ext) => {
    expect(oneSkip(adaptXapi(statement(ext), X))).toBe('aggregate_report');
  });

  it('a total over the period may exceed 24 hours (skipped, not refused); a malformed one is refused', () => {
    const month = { 'https://example.jp/ext/startdate': '2023-01-10', 'https://example.jp/ext/enddate': '2023-02-10' };
    expect(oneSkip(adaptXapi(statement(month, { result: { duration: 'PT40H' } }), X))).toBe('aggregate_report');
    const bad = adaptXapi(statement(month, { result: { duration: '40 hours' } }), X);
    expect(bad.rejects.map((x) => [x.reason.code, x.reason.field])).toEqual([['invalid_field', 'result.duration']]);
  });

  it('the period may be given in result.extensions too', () => {
    const st = statement(
      {},
      {
        result: {
          duration: 'PT4H',
          extensions: {
            'https://example.jp/ext/startdate': '2023-01-10',
            'https://example.jp/ext/enddate': '2023-02-10',
          },
        },
      },
    );
    expect(oneSkip(adaptXapi(st, X))).toBe('aggregate_report');
  });

  it('a period of one day, an unreadable period or no duration leaves the statement as it was', () => {
    const oneDay = { 'https://example.jp/ext/startdate': '2023-02-28', 'https://example.jp/ext/enddate': '2023-02-28' };
    expect(adaptXapi(statement(oneDay), X).events.map((e) => e.active_seconds)).toEqual([16520]);
    const unreadable = {
      'https://example.jp/ext/startdate': 'last month',
      'https://example.jp/ext/enddate': '2023-02-28',
    };
    expect(adaptXapi(statement(unreadable), X).events.map((e) => e.active_seconds)).toEqual([16520]);
    const month = { 'https://example.jp/ext/startdate': '2023-01-10', 'https://example.jp/ext/enddate': '2023-02-10' };
    const noDuration = statement(month);
    delete (noDuration as Record<string, unknown>)['result'];
    expect(adaptXapi(noDuration, X).events.map((e) => [e.type, e.active_seconds])).toEqual([['use', undefined]]);
  });

  it('progressed on a course is a course status (skip system_record); on a part of the course it is use', () => {
    const course = statement(
      {},
      {
        object: {
          id: 'https://english.example.jp/courses/SJ01',
          definition: { type: 'http://adlnet.gov/expapi/activities/course' },
        },
      },
    );
    expect(oneSkip(adaptXapi(course, X))).toBe('system_record');
    expect(adaptXapi(statement({}), X).events.map((e) => [e.type, e.active_seconds])).toEqual([['use', 16520]]);
  });
});

describe('xAPI: vocabulary namespaces are no app', () => {
  const X = { districtId: 'd1', now: new Date('2024-06-01T00:00:00Z') };
  const st = (objectId: string, extra: Record<string, unknown> = {}, homePage?: string) => ({
    actor: homePage ? { account: { homePage, name: 'stu-1' } } : { mbox: 'mailto:stu-1@example.org' },
    verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
    object: { id: objectId },
    timestamp: '2024-05-10T09:30:00Z',
    ...extra,
  });
  const appOf = (s: unknown) => {
    const r = adaptXapi(s, X);
    expect(r.rejects).toEqual([]);
    expect(r.events).toHaveLength(1);
    return r.events[0]!.app;
  };

  it.each([
    'http://adlnet.gov/courses/SJ01',
    'http://www.adlnet.gov/expapi/activities/example',
    'https://w3id.org/xapi/video/activity-type/video',
    'http://id.tincanapi.com/activity/lrp/ATRLT_ATRCALL/14',
    'http://purl.org/xapi/some/activity',
    'https://xapi.vocab.pub/activities/lesson',
    'http://activitystrea.ms/schema/1.0/page',
  ])('%s falls through to the actor home page', (iri) => {
    expect(appOf(st(iri, {}, 'https://lms.example.org'))).toEqual({
      domain: 'lms.example.org',
      url: 'https://lms.example.org',
    });
  });

  it('falls through to the parent before the home page', () => {
    const s = st(
      'http://adlnet.gov/expapi/activities/question-7',
      { context: { contextActivities: { parent: [{ id: 'https://quiz.example.com/quizzes/7' }] } } },
      'https://lms.example.org',
    );
    expect(appOf(s)).toEqual({ domain: 'quiz.example.com', url: 'https://quiz.example.com/quizzes/7' });
  });

  it("a district's explicit hint for a namespace IRI still names the app", () => {
    const r = adaptXapi(st('http://adlnet.gov/courses/SJ01', {}, 'https://lms.example.org'), {
      ...X,
      appIds: { 'http://adlnet.gov/courses/': 'atr-call' },
    });
    expect(r.events[0]!.app).toMatchObject({ app_id: 'atr-call', domain: 'lms.example.org' });
  });

  it('with nothing but namespace IRIs the statement names no app: rejected at object.id, or the default app', () => {
    const r = adaptXapi(st('http://adlnet.gov/courses/SJ01'), X);
    expect(r.rejects.map((x) => [x.reason.code, x.reason.field])).toEqual([['missing_identifier', 'object.id']]);
    expect(r.rejects[0]!.reason.message).toMatch(/vocabulary/);
    const d = adaptXapi(st('http://adlnet.gov/courses/SJ01'), { ...X, defaultApp: { app_id: 'atr-call' } });
    expect(d.events[0]!.app).toEqual({ app_id: 'atr-call' });
  });

  it('a real app on a look-alike host is kept', () => {
    expect(appOf(st('https://lms.adlnet.gov.example.org/course/1')).domain).toBe('lms.adlnet.gov.example.org');
  });
});
