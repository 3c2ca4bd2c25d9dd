/**
 * Squid lines through the adapter and enrich (pure functions, no services): an IP-literal host ends
 * up as an unresolved app under its `ip:` key, and a person seen only through HTTPS tunnels is
 * counted (docs/MEANING.md "Proxy logs").
 */
import { adaptSquidLog, enrichedEventSchema, type NativeEvent, type RawMessage } from '@edusage/contracts';
import { enrichEvent } from '../src';
import { KEY, POS, sampleView } from './helpers';

const view = sampleView();
const NOW = new Date('2025-01-16T00:00:00Z');
/** A native-format line of amy.pond (roster user stu1); 1736964000 = 2025-01-15T18:00:00Z. */
const line = (request: string, hierarchyAndType: string, at = '1736964000.250') =>
  `${at}     80 10.1.2.3 ${request} amy.pond ${hierarchyAndType}`;

function enrichLog(lines: string[]) {
  const r = adaptSquidLog(lines.join('\n'), { districtId: 'd1', now: NOW });
  expect(r.rejects).toEqual([]);
  return r.events.map((event: NativeEvent) => {
    const raw: RawMessage = { v: 1, received_at: '2025-01-15T18:05:00Z', channel: 'file', event };
    return enrichedEventSchema.parse(enrichEvent(raw, POS, view, KEY, '2025-01-15T18:05:01Z'));
  });
}

describe('IP-literal hosts: unresolved apps keyed ip:<address>', () => {
  it.each([
    [
      line('TCP_MISS/200 18000 GET http://66.181.163.170/pics/12.jpg', 'HIER_DIRECT/66.181.163.170 image/jpeg'),
      'ip:66.181.163.170',
    ],
    [
      line('TCP_MISS/200 9000 GET http://66.181.163.170:8080/', 'HIER_DIRECT/66.181.163.170 text/html'),
      'ip:66.181.163.170',
    ],
    [line('TCP_TUNNEL/200 6000 CONNECT 66.181.163.170:443', 'HIER_DIRECT/66.181.163.170 -'), 'ip:66.181.163.170'],
    [line('TCP_TUNNEL/200 6000 CONNECT [2001:db8::1]:443', 'HIER_DIRECT/2001:db8::1 -'), 'ip:2001:db8::1'],
    [line('TCP_MISS/200 900 GET http://[2001:db8::1]/x', 'HIER_DIRECT/2001:db8::1 text/html'), 'ip:2001:db8::1'],
  ])('%s → %s, unresolved, no domain', (logLine, appId) => {
    const [e] = enrichLog([logLine]);
    expect(e).toMatchObject({ app_id: appId, app_resolved: false, app_domain: null, person_resolved: true });
    expect(e!.counts_minute).toBe(true);
  });

  it('what the adapter avoids: an address given as a domain would be keyed as a domain by enrich', () => {
    const raw: RawMessage = {
      v: 1,
      received_at: '2025-01-15T18:05:00Z',
      channel: 'http',
      event: {
        event_id: 'x1',
        occurred_at: '2025-01-15T18:00:00Z',
        district_id: 'd1',
        source: 'proxy',
        type: 'page_view',
        user: { username: 'amy.pond' },
        app: { domain: '66.181.163.170' },
      },
    };
    expect(enrichEvent(raw, POS, view, KEY, '2025-01-15T18:05:01Z').app_id).toBe('domain:66.181.163.170');
  });
});

describe('a person seen only through HTTPS tunnels', () => {
  it('is active on the app, with one counted minute per minute of tunnels', () => {
    const tunnel = (at: string) =>
      line('TCP_TUNNEL/200 5120 CONNECT www.khanacademy.org:443', 'HIER_DIRECT/104.16.1.1 -', at);
    const out = enrichLog(['1736964000.250', '1736964030.000', '1736964065.500'].map(tunnel));
    expect(out.map((e) => [e.type, e.app_id, e.app_resolved, e.person_resolved, e.counts_minute])).toEqual([
      ['heartbeat', 'khan-academy', true, true, true],
      ['heartbeat', 'khan-academy', true, true, true],
    ]);
    expect(new Set(out.map((e) => e.person_id)).size).toBe(1);
    expect(out.map((e) => e.occurred_at.slice(11, 16))).toEqual(['18:00', '18:01']);
  });
});
