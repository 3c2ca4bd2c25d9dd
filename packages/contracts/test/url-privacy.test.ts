import * as fs from 'node:fs';
import * as path from 'node:path';
import { adaptCaliper, adaptSquidLine, adaptXapi, validateNativeEvents, withoutQueryOrFragment } from '../src';

// Every adapter's URLs lose their query string, fragment and credentials before an event leaves it.
const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures');
const read = (p: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, p), 'utf8'));
const SECRET = 'Qz7TokenValue';
const leaks = (value: unknown) => JSON.stringify(value).includes(SECRET);

test('the rule: scheme, host and path stay', () => {
  expect(withoutQueryOrFragment(`https://a:${SECRET}@Www.Example.org/p/q.html?x=${SECRET}#${SECRET}`)).toBe(
    'https://Www.Example.org/p/q.html',
  );
  expect(withoutQueryOrFragment('https://example.org')).toBe('https://example.org');
  expect(withoutQueryOrFragment('urn:uuid:1234#x')).toBe('urn:uuid:1234');
});

test('native: app.url and an app_id that is a URL', () => {
  const r = validateNativeEvents(
    {
      event_id: 'e1',
      occurred_at: '2024-05-01T10:00:00Z',
      type: 'page_view',
      user: { sourced_id: 's1' },
      app: { app_id: `https://lti.example.edu/tool/7?launch=${SECRET}`, url: `https://example.org/a?q=${SECRET}` },
    },
    { districtId: 'd1', source: 'agent', now: new Date('2024-05-02T00:00:00Z') },
  );
  expect(r.rejects).toEqual([]);
  expect(r.events[0]!.app).toEqual({ app_id: 'https://lti.example.edu/tool/7', url: 'https://example.org/a' });
});

test('Caliper object IRI', () => {
  const ev = read('caliper-common-fixtures/v1p2/caliperEventToolUseUsedWithProgress.json');
  // Without its term-long measure, which makes the event a skipped cumulative report.
  delete ev['generated'];
  const object = ev['object'] as Record<string, unknown>;
  object['id'] = `${String(object['id'])}?sid=${SECRET}#${SECRET}`;
  const r = adaptCaliper(ev, { districtId: 'd1', now: new Date('2020-01-01T00:00:00Z') });
  expect(r.events).toHaveLength(1);
  expect(leaks(r.events)).toBe(false);
});

test('xAPI object id', () => {
  const st = (read('1edtechjapan-da2022/xapi_statement_20230307.json') as unknown as Record<string, unknown>[])[0]!;
  // An activity of the app's own host (adlnet.gov is a vocabulary namespace, never the app), not a
  // whole course, without the month-long period (both are skips).
  st['object'] = { id: `https://english.example.jp/units/SJ01?token=${SECRET}` };
  delete (st['context'] as Record<string, unknown>)['extensions'];
  const r = adaptXapi(st, { districtId: 'd1', now: new Date('2024-06-01T00:00:00Z') });
  expect(r.events).toHaveLength(1);
  expect(r.events[0]!.app.url).toBe('https://english.example.jp/units/SJ01');
  expect(leaks(r.events)).toBe(false);
});

test('Squid URL', () => {
  const line = `1717236000.000 120 10.1.2.3 TCP_MISS/200 900 GET https://www.khanacademy.org/math?auth=${SECRET} jdoe HIER_DIRECT/1.2.3.4 text/html`;
  const r = adaptSquidLine(line, 1, { districtId: 'd1', now: new Date('2024-06-01T12:00:00Z') });
  expect(r.events).toHaveLength(1);
  expect(leaks(r.events)).toBe(false);
});
