/**
 * The proxy meaning table (docs/MEANING.md "Proxy logs"), walked row by row with lines shaped as they appear
 * in real Squid logs (native and common/combined format), then the shapes issue 12 found in the wild:
 * failed requests, IP-literal hosts, asset lines that inflated event counts.
 */
import { Readable } from 'node:stream';
import readline from 'node:readline';
import {
  adaptSquidLine,
  adaptSquidLog,
  adaptSquidStream,
  PROXY_LINE_RULES,
  ProxyMinuteFolder,
  squidLineRule,
  type AdaptResult,
  type NativeEvent,
} from '../src';

const SQ = { districtId: 'd1', now: new Date('2024-06-01T00:00:00Z'), ipAsDevice: true };
// 1717000000 = 2024-05-29T16:26:40Z; in common format that is 29/May/2024:11:26:40 -0500.
const native = (rest: string, user = 'jdoe', at = '1717000000.100') =>
  `${at}    120 10.1.2.3 ${rest.replace('USER', user)}`;
const common = (request: string, statusBytes: string, suffix = '') =>
  `10.1.2.3 - jdoe [29/May/2024:11:26:40 -0500] "${request} HTTP/1.1" ${statusBytes} "-" "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0)"${suffix}`;

/** What one line gives on its own: the event type, a skip reason, or a reject code. */
function outcome(r: AdaptResult): string {
  if (r.events.length === 1 && r.skipped.length === 0 && r.rejects.length === 0) return r.events[0]!.type;
  if (r.skipped.length === 1 && r.events.length === 0) return r.skipped[0]!.reason;
  if (r.rejects.length === 1 && r.events.length === 0) return r.rejects[0]!.reason.code;
  return `unexpected ${JSON.stringify(r)}`;
}

/** Row id → lines of that shape and what each must give (hand-written from the row's meaning). */
const EXAMPLES: Record<string, Array<[line: string, expected: string]>> = {
  denied: [
    [native('TCP_DENIED/403 3807 GET http://games.example.com/ USER HIER_NONE/- text/html'), 'proxy_denied'],
    [native('TCP_DENIED/407 4130 CONNECT www.khanacademy.org:443 USER HIER_NONE/- text/html', '-'), 'proxy_denied'],
    [
      native('TCP_DENIED_REPLY/403 3500 GET http://www.ixl.com/ads/x.gif USER HIER_DIRECT/1.2.3.4 text/html'),
      'proxy_denied',
    ],
    [common('GET http://www.ixl.com/', '407 3500', ' TCP_DENIED:HIER_NONE'), 'proxy_denied'],
    // A url_rewrite filter (SquidGuard, ufdbGuard) sending the student to its block page.
    [native('TCP_REDIRECT/302 380 GET http://www.youtube.com/watch USER HIER_NONE/- text/html'), 'proxy_denied'],
    [common('GET http://www.coolmathgames.com/', '302 380', ' TCP_REDIRECT:HIER_NONE'), 'proxy_denied'],
  ],
  no_reply: [
    [native('TCP_MISS_ABORTED/000 0 GET http://www.ixl.com/math USER HIER_DIRECT/1.2.3.4 -'), 'proxy_no_reply'],
    [native('NONE/000 0 CONNECT docs.google.com:443 USER HIER_NONE/- -'), 'proxy_no_reply'],
  ],
  internal: [
    [native('TCP_MISS/200 2965 GET cache_object://localhost/5min - HIER_NONE/- text/plain'), 'proxy_internal'],
    [native('NONE_NONE/400 3900 NONE error:invalid-request USER HIER_NONE/- text/html'), 'proxy_internal'],
    [native('UDP_HIT/200 70 ICP_QUERY http://www.ixl.com/ - HIER_NONE/- -'), 'proxy_internal'],
    [native('TCP_MISS/200 250 PURGE http://www.ixl.com/static/app.css - HIER_NONE/- -'), 'proxy_internal'],
  ],
  failed: [
    // Issue 12: a failed CONNECT used to become a page view.
    [native('TCP_MISS/503 0 CONNECT www.google-analytics.com:443 USER HIER_NONE/- -'), 'proxy_failed'],
    [native('TAG_NONE/503 0 CONNECT unreachable.example.org:443 USER HIER_NONE/- text/html'), 'proxy_failed'],
    [native('TCP_MISS/404 512 GET http://www.ixl.com/favicon.ico USER HIER_DIRECT/1.2.3.4 text/html'), 'proxy_failed'],
    [
      native('TCP_MISS/500 780 POST http://www.ixl.com/api/answer USER HIER_DIRECT/1.2.3.4 application/json'),
      'proxy_failed',
    ],
    [common('GET http://www.ixl.com/missing', '404 209'), 'proxy_failed'],
    [common('CONNECT www.google-analytics.com:443', '503 0', ' TCP_MISS:HIER_NONE'), 'proxy_failed'],
  ],
  empty: [
    [native('TCP_TUNNEL/200 0 CONNECT www.khanacademy.org:443 USER HIER_DIRECT/104.16.1.1 -'), 'proxy_empty'],
    [native('NONE_NONE/200 0 CONNECT 142.250.72.14:443 USER HIER_NONE/- -'), 'proxy_empty'],
    [common('GET http://www.ixl.com/', '200 -'), 'proxy_empty'],
  ],
  aborted: [
    [
      native('TCP_MISS_ABORTED/200 1460 GET http://www.youtube.com/watch USER HIER_DIRECT/1.2.3.4 text/html'),
      'heartbeat',
    ],
    [native('TCP_TUNNEL_ABORTED/200 5230 CONNECT www.youtube.com:443 USER HIER_DIRECT/1.2.3.4 -'), 'heartbeat'],
  ],
  tunnel: [
    [native('TCP_TUNNEL/200 5120 CONNECT www.khanacademy.org:443 USER HIER_DIRECT/104.16.1.1 -'), 'heartbeat'],
    [native('NONE/200 41234 CONNECT docs.google.com:443 USER HIER_DIRECT/142.250.72.14 -'), 'heartbeat'],
    [common('CONNECT www.khanacademy.org:443', '200 5120', ' TCP_TUNNEL:HIER_DIRECT'), 'heartbeat'],
  ],
  informational: [
    [native('TCP_MISS/101 530 GET http://chat.example.org/socket USER HIER_DIRECT/1.2.3.4 -'), 'heartbeat'],
  ],
  redirect: [
    [native('TCP_MISS/302 420 GET http://clever.com/login USER HIER_DIRECT/1.2.3.4 text/html'), 'heartbeat'],
    [common('GET http://ixl.com/', '301 178'), 'heartbeat'],
  ],
  other_method: [
    [native('TCP_MISS/200 330 OPTIONS http://api.example.com/v1/items USER HIER_DIRECT/1.2.3.4 -'), 'heartbeat'],
    [native('TCP_MISS/200 380 HEAD http://www.ixl.com/ USER HIER_DIRECT/1.2.3.4 text/html'), 'heartbeat'],
    [common('PUT http://api.example.com/v1/items/7', '204 0'), 'heartbeat'],
  ],
  no_content: [
    [
      native('TCP_MISS/204 180 GET http://clients3.google.com/generate_204 USER HIER_DIRECT/142.250.1.1 -'),
      'heartbeat',
    ],
    [native('TCP_MISS/204 0 POST http://www.ixl.com/api/answer USER HIER_DIRECT/1.2.3.4 text/html'), 'heartbeat'],
    [common('GET http://www.google.com/gen_204?atyp=i', '204 0'), 'heartbeat'],
  ],
  page_type: [
    [native('TCP_MISS/200 48213 GET http://www.ixl.com/math/grade-3 USER HIER_DIRECT/1.2.3.4 text/html'), 'page_view'],
    [
      native('TCP_REFRESH_UNMODIFIED/304 310 GET http://www.ixl.com/math USER HIER_DIRECT/1.2.3.4 text/html'),
      'page_view',
    ],
    [
      native('TCP_MISS/200 912345 GET http://www.district.org/calendar.pdf USER HIER_DIRECT/1.2.3.4 application/pdf'),
      'page_view',
    ],
    [
      native('TCP_MISS/200 8123 POST http://www.ixl.com/signin USER HIER_DIRECT/1.2.3.4 text/html;charset=UTF-8'),
      'page_view',
    ],
  ],
  other_type: [
    [native('TCP_HIT/200 5120 GET http://www.ixl.com/dv3/css/main.css USER HIER_NONE/- text/css'), 'heartbeat'],
    [native('TCP_MEM_HIT/200 43 GET http://www.ixl.com/img/spacer.gif USER HIER_NONE/- image/gif'), 'heartbeat'],
    [
      native('TCP_MISS/200 51200 GET http://www.ixl.com/js/app.js USER HIER_DIRECT/1.2.3.4 application/javascript'),
      'heartbeat',
    ],
    [
      native('TCP_MISS/200 612 POST http://www.ixl.com/api/answer USER HIER_DIRECT/1.2.3.4 application/json'),
      'heartbeat',
    ],
    [
      native('TCP_MISS/200 22000 GET http://fonts.gstatic.com/s/roboto.woff2 USER HIER_DIRECT/1.2.3.4 font/woff2'),
      'heartbeat',
    ],
  ],
  asset_extension: [
    [common('GET http://www.ixl.com/static/app.js?v=3', '200 51200'), 'heartbeat'],
    [common('GET http://www.ixl.com/img/logo.GIF', '200 2048'), 'heartbeat'],
    [native('TCP_MISS/200 3500 GET http://cdn.example.com/fonts/a.woff2 USER HIER_DIRECT/1.2.3.4 -'), 'heartbeat'],
  ],
  beacon_path: [
    [common('GET http://www.google-analytics.com/collect?v=1&t=pageview', '200 35'), 'heartbeat'],
    [common('POST http://events.example.com/v2/beacon/', '200 2'), 'heartbeat'],
  ],
  untyped_post: [[common('POST http://www.ixl.com/api/answer', '200 512'), 'heartbeat']],
  page_default: [
    [common('GET http://www.ixl.com/math/grade-3?x=1', '200 48213'), 'page_view'],
    [native('TCP_MISS/200 9000 GET http://intranet.district.org/index.php USER HIER_DIRECT/10.0.0.5 -'), 'page_view'],
    [common('GET http://www.ixl.com/', '304 -'), 'page_view'],
  ],
};

describe('proxy meaning table', () => {
  it('has examples for every row and no examples for rows that do not exist', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(PROXY_LINE_RULES.map((r) => r.id).sort());
    expect(new Set(PROXY_LINE_RULES.map((r) => r.id)).size).toBe(PROXY_LINE_RULES.length);
  });

  describe.each(PROXY_LINE_RULES.map((r) => [r.id, r] as const))('row %s', (id, rule) => {
    it.each(EXAMPLES[id]!)('%s → %s', (line, expected) => {
      expect(squidLineRule(line)?.id).toBe(id);
      const got = outcome(adaptSquidLine(line, 1, SQ));
      expect(got).toBe(expected);
      // The row's meaning and the adapter agree.
      if (rule.meaning === 'page') expect(got).toBe('page_view');
      else if (rule.meaning === 'activity') expect(got).toBe('heartbeat');
      else expect(got).toBe(rule.meaning);
    });
  });
});

describe('IP-literal hosts are kept as unresolved apps, never as a domain', () => {
  const app = (line: string, appIds?: Record<string, string>): NativeEvent['app'] => {
    const r = adaptSquidLine(line, 1, { ...SQ, ...(appIds ? { appIds } : {}) });
    expect(r.events).toHaveLength(1);
    return r.events[0]!.app;
  };

  it.each([
    // Issue 12's line: an image fetched from a bare IPv4 address.
    [
      native('TCP_MISS/200 18000 GET http://66.181.163.170/pics/12.jpg USER HIER_DIRECT/66.181.163.170 image/jpeg'),
      'ip:66.181.163.170',
    ],
    [
      native('TCP_MISS/200 9000 GET http://66.181.163.170:8080/index.html USER HIER_DIRECT/66.181.163.170 text/html'),
      'ip:66.181.163.170',
    ],
    [native('TCP_TUNNEL/200 6000 CONNECT 66.181.163.170:443 USER HIER_DIRECT/66.181.163.170 -'), 'ip:66.181.163.170'],
    [native('TCP_TUNNEL/200 6000 CONNECT 66.181.163.170 USER HIER_DIRECT/66.181.163.170 -'), 'ip:66.181.163.170'],
    [native('TCP_TUNNEL/200 6000 CONNECT [2001:db8::1]:443 USER HIER_DIRECT/2001:db8::1 -'), 'ip:2001:db8::1'],
    [native('TCP_TUNNEL/200 6000 CONNECT 2001:db8::5 USER HIER_DIRECT/2001:db8::5 -'), 'ip:2001:db8::5'],
    [
      native('TCP_MISS/200 900 GET http://[2001:DB8:0:0::1]:8080/x USER HIER_DIRECT/2001:db8::1 text/html'),
      'ip:2001:db8::1',
    ],
    [common('GET http://66.181.163.170/pics/12.jpg', '200 18000'), 'ip:66.181.163.170'],
    [common('CONNECT [2001:db8::1]:443', '200 5120', ' TCP_TUNNEL:HIER_DIRECT'), 'ip:2001:db8::1'],
    // An odd spelling of the same address is still an address (WHATWG URL canonicalises it).
    [
      native('TCP_MISS/200 900 GET http://0x42.0xb5.0xa3.0xaa/ USER HIER_DIRECT/66.181.163.170 text/html'),
      'ip:66.181.163.170',
    ],
  ])('%s → app_id %s, no domain, no url', (line, appId) => {
    expect(app(line)).toEqual({ app_id: appId });
  });

  it('a district catalog hint for an app served from an address names the app', () => {
    const line = native(
      'TCP_MISS/200 9000 GET http://10.0.0.5/moodle/course/view.php USER HIER_DIRECT/10.0.0.5 text/html',
    );
    expect(app(line, { 'http://10.0.0.5/moodle': 'moodle' })).toEqual({ app_id: 'moodle' });
    expect(app(line, { 'khanacademy.org': 'khan' })).toEqual({ app_id: 'ip:10.0.0.5' });
  });

  it('a name that only looks numeric in part is still a domain', () => {
    const line = native('TCP_MISS/200 900 GET http://1.2.3.4.nip.io/ USER HIER_DIRECT/1.2.3.4 text/html');
    expect(app(line)).toEqual({ domain: '1.2.3.4.nip.io', url: 'http://1.2.3.4.nip.io/' });
  });
});

/** One page visit as a proxy logs it: the page, its assets, an XHR, a beacon and a font host. */
const at = (s: number) => `${1717000000 + s}.${String(100 + s).padStart(3, '0')}`;
const VISIT = [
  native('TCP_MISS/200 48213 GET http://www.ixl.com/math/grade-3 USER HIER_DIRECT/1.2.3.4 text/html', 'jdoe', at(0)),
  native('TCP_HIT/200 5120 GET http://www.ixl.com/dv3/css/main.css USER HIER_NONE/- text/css', 'jdoe', at(1)),
  native(
    'TCP_MISS/200 51200 GET http://www.ixl.com/js/app.js USER HIER_DIRECT/1.2.3.4 application/javascript',
    'jdoe',
    at(1),
  ),
  native('TCP_MEM_HIT/200 43 GET http://www.ixl.com/img/a.gif USER HIER_NONE/- image/gif', 'jdoe', at(2)),
  native('TCP_MEM_HIT/200 43 GET http://www.ixl.com/img/b.gif USER HIER_NONE/- image/gif', 'jdoe', at(2)),
  native('TCP_MISS/200 612 GET http://ixl.com/api/progress USER HIER_DIRECT/1.2.3.4 application/json', 'jdoe', at(3)),
  native(
    'TCP_MISS/200 35 GET http://www.google-analytics.com/collect USER HIER_DIRECT/1.2.3.4 image/gif',
    'jdoe',
    at(4),
  ),
  native('TCP_TUNNEL/200 22000 CONNECT fonts.gstatic.com:443 USER HIER_DIRECT/1.2.3.4 -', 'jdoe', at(4)),
  native('TCP_TUNNEL/200 9000 CONNECT fonts.gstatic.com:443 USER HIER_DIRECT/1.2.3.4 -', 'jdoe', at(5)),
  native('TCP_MISS/404 512 GET http://www.ixl.com/favicon.ico USER HIER_DIRECT/1.2.3.4 text/html', 'jdoe', at(6)),
];

describe('folding: event counts mean page visits, not asset fetches', () => {
  it('a page visit with its assets is one page_view; other hosts of the visit one heartbeat each', () => {
    const r = adaptSquidLog(VISIT.join('\n'), SQ);
    expect(r.events.map((e) => [e.type, e.app.domain])).toEqual([
      ['page_view', 'www.ixl.com'],
      ['heartbeat', 'www.google-analytics.com'],
      ['heartbeat', 'fonts.gstatic.com'],
    ]);
    expect(r.skipped.map((s) => [s.line, s.reason])).toEqual([
      [2, 'proxy_folded'],
      [3, 'proxy_folded'],
      [4, 'proxy_folded'],
      [5, 'proxy_folded'],
      [6, 'proxy_folded'], // ixl.com without www. is the same host for the fold (and for enrich)
      [9, 'proxy_folded'],
      [10, 'proxy_failed'],
    ]);
    expect(r.rejects).toEqual([]);
  });

  it('keeps every engaged minute: folded lines fall in a minute their person × host already has', () => {
    const lines = [
      ...VISIT,
      ...VISIT.map((l) => l.replace(/^1717000/, '1717006')), // the same visit 100 minutes later
      native('TCP_HIT/200 5120 GET http://www.ixl.com/dv3/css/main.css USER HIER_NONE/- text/css', 'amy', at(30)),
    ];
    const r = adaptSquidLog(lines.join('\n'), SQ);
    const minuteKey = (user: string, host: string, ms: number) =>
      `${user}|${host.replace(/^www\./, '')}|${Math.floor(ms / 60_000)}`;
    const fromEvents = new Set(
      r.events.map((e) => minuteKey(e.user.username!, e.app.domain!, Date.parse(e.occurred_at))),
    );
    // Expected by hand: jdoe on ixl, google-analytics and gstatic in two minutes; amy on ixl once.
    expect(fromEvents.size).toBe(7);
    expect(r.events.filter((e) => e.type === 'page_view')).toHaveLength(2);
    expect(r.events.filter((e) => e.user.username === 'amy').map((e) => e.type)).toEqual(['heartbeat']);
  });

  it('a person who only went through HTTPS tunnels is active: one heartbeat per host and minute', () => {
    const tunnels = [0, 10, 50, 61, 62, 130].map((s) =>
      native('TCP_TUNNEL/200 5120 CONNECT www.khanacademy.org:443 USER HIER_DIRECT/104.16.1.1 -', 'jdoe', at(s)),
    );
    // 1717000000 is 40 s into its minute: seconds 0, 10 are minute m; 50, 61, 62 minute m+1; 130 m+2.
    const r = adaptSquidLog(tunnels.join('\n'), SQ);
    expect(r.events.map((e) => [e.type, e.user.username, e.app.domain, e.occurred_at.slice(11, 16)])).toEqual([
      ['heartbeat', 'jdoe', 'www.khanacademy.org', '16:26'],
      ['heartbeat', 'jdoe', 'www.khanacademy.org', '16:27'],
      ['heartbeat', 'jdoe', 'www.khanacademy.org', '16:28'],
    ]);
    expect(r.skipped.map((s) => s.line)).toEqual([2, 4, 5]);
  });

  it('is the same on every re-import, in every entry point', async () => {
    const text = VISIT.join('\n');
    const a = adaptSquidLog(text, SQ);
    const b = adaptSquidLog(text, SQ);
    expect(b).toEqual(a);
    const streamed: string[] = [];
    for await (const item of adaptSquidStream(readline.createInterface({ input: Readable.from([text]) }), SQ)) {
      if ('event' in item) streamed.push(item.event.event_id);
    }
    expect(streamed).toEqual(a.events.map((e) => e.event_id));
    // Line by line with one folder per file (what the import command does).
    const folder = new ProxyMinuteFolder();
    const perLine = VISIT.flatMap((l, i) => adaptSquidLine(l, i + 1, { ...SQ, folder }).events.map((e) => e.event_id));
    expect(perLine).toEqual(a.events.map((e) => e.event_id));
  });

  it('an activity minute split over two files gets the same event id in both (a duplicate downstream)', () => {
    const assetsOnly = VISIT.slice(1, 5);
    const whole = adaptSquidLog(assetsOnly.join('\n'), SQ);
    const first = adaptSquidLog(assetsOnly.slice(0, 2).join('\n'), SQ);
    const second = adaptSquidLog(assetsOnly.slice(2).join('\n'), SQ);
    expect(whole.events).toHaveLength(1);
    expect(first.events.map((e) => e.event_id)).toEqual(whole.events.map((e) => e.event_id));
    expect(second.events.map((e) => e.event_id)).toEqual(whole.events.map((e) => e.event_id));
  });

  it('a bad line never claims a minute, and a line that would fold is still rejected when it is bad', () => {
    const noUser = VISIT[1]!.replace(' jdoe ', ' - ');
    const r = adaptSquidLog([noUser, VISIT[2]!].join('\n'), { ...SQ, ipAsDevice: false });
    expect(r.rejects.map((x) => [x.reason.code, x.reason.field, x.reason.line])).toEqual([
      ['missing_identifier', 'rfc931', 1],
    ]);
    expect(r.events.map((e) => e.type)).toEqual(['heartbeat']);
  });
});
