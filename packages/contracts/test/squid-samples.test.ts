/**
 * Real Squid access-log lines from public log parsers' test data (test/samples/squid/SOURCES.md):
 * every line's outcome is pinned, written by hand from docs/MEANING.md "Proxy logs".
 */
import fs from 'node:fs';
import path from 'node:path';
import { adaptSquidLine, adaptSquidLog, ProxyMinuteFolder, squidLineRule } from '../src';

const DIR = path.join(__dirname, 'samples/squid');

/** Adapts a sample file line by line (one folder, as the import command does) and whole. */
function run(file: string, now: string, ipAsDevice: boolean) {
  const text = fs.readFileSync(path.join(DIR, file), 'utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  const ctx = { districtId: 'd1', now: new Date(now), ipAsDevice };
  const folder = new ProxyMinuteFolder();
  const perLine = lines.map((l, i) => adaptSquidLine(l, i + 1, { ...ctx, folder }));
  const r = adaptSquidLog(text, ctx);
  expect(r.events).toEqual(perLine.flatMap((x) => x.events));
  // `<row>:<outcome>` per line: the event type, the skip reason or the reject code.
  const outcomes = perLine.map(
    (x, i) =>
      `${squidLineRule(lines[i]!)?.id ?? '-'}:${x.events[0]?.type ?? x.skipped[0]?.reason ?? x.rejects[0]?.reason.code}`,
  );
  return { lines, r, outcomes };
}

describe('logstash-patterns-core squid3 spec lines', () => {
  it('a user-less CONNECT and a GET of a text file are activity (heartbeats), not pages', () => {
    const { lines, r, outcomes } = run('logstash-patterns-core-squid3.log', '2018-05-04T00:00:00Z', true);
    expect(lines).toHaveLength(2);
    expect(outcomes).toEqual(['tunnel:heartbeat', 'other_type:heartbeat']);
    expect(r.events.map((e) => [e.user, e.app, e.occurred_at])).toEqual([
      [{ device_id: '10.170.72.111' }, { domain: 'logs.ap-southeast-2.amazonaws.com' }, '2018-05-03T10:54:16.899Z'],
      [
        { username: 'public-user' },
        { domain: 'www.sample.com', url: 'http://www.sample.com/hellow_world.txt' },
        '2018-05-03T07:58:50.556Z',
      ],
    ]);
  });

  it('without --ip-as-device the user-less tunnel is rejected naming rfc931', () => {
    const { r } = run('logstash-patterns-core-squid3.log', '2018-05-04T00:00:00Z', false);
    expect(r.rejects.map((x) => [x.reason.code, x.reason.field, x.reason.line])).toEqual([
      ['missing_identifier', 'rfc931', 1],
    ]);
    expect(r.events).toHaveLength(1);
  });
});

describe('OMS Agent for Linux squid parser test lines', () => {
  it('cache manager, redirect, denied, 304 revalidation and 400s each get their documented outcome', () => {
    const { lines, r, outcomes } = run('oms-agent-for-linux.log', '2017-02-10T00:00:00Z', true);
    expect(lines).toHaveLength(6);
    expect(outcomes).toEqual([
      'internal:proxy_internal', // cache_object://localhost/5min
      'redirect:heartbeat', // 301 from portal.azure.com (method logged as "open")
      'denied:proxy_denied', // TCP_DENIED/403 POST
      'other_type:heartbeat', // 304 of an application/octet-stream .cab
      'failed:proxy_failed', // 400
      'failed:proxy_failed', // the same 400 again
    ]);
    expect(r.events.map((e) => [e.user, e.app.domain, e.client_ip])).toEqual([
      [{ device_id: '10.1.1.4' }, 'portal.azure.com', '10.1.1.4'],
      [{ device_id: '10.1.1.4' }, 'ctldl.windowsupdate.com', '10.1.1.4'],
    ]);
    expect(r.rejects).toEqual([]);
  });
});
