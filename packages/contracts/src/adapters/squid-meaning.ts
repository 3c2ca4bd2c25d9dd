/**
 * What a proxy access-log line means for usage: the meaning table of docs/MEANING.md "Proxy logs", as data.
 * The adapter takes the first row that matches a line; the test walks every row with a line of that
 * shape. Change a row here and in the doc together.
 */

/** Skip reasons of proxy lines: valid lines that are no usage (counted, never dead letters). */
export type ProxySkipReason =
  'proxy_denied' | 'proxy_no_reply' | 'proxy_internal' | 'proxy_failed' | 'proxy_empty' | 'proxy_folded';

/**
 * - `page`: a page visit: one `page_view` event per line;
 * - `activity`: the person used the site but this line is no page (asset, XHR, tunnel, redirect...):
 *   folded to at most one `heartbeat` event per person × host × minute (see squid-fold.ts);
 * - a skip reason: no event.
 */
export type ProxyMeaning = 'page' | 'activity' | Exclude<ProxySkipReason, 'proxy_folded'>;

/** The facts of a line the table looks at. */
export interface ProxyLineFacts {
  /** Squid result code (`TCP_MISS`, `TCP_DENIED`, `NONE_NONE`...; `NONE` when the format has none). */
  resultCode: string;
  status: number;
  bytes: number;
  /** Upper case. */
  method: string;
  /** The URL as logged. */
  url: string;
  /** Lower-case URL path without query ('' for CONNECT). */
  path: string;
  /** Lower-case MIME type without parameters; undefined when the line has none (`-`, common format). */
  contentType: string | undefined;
}

export interface ProxyLineRule {
  /** Stable row name (the doc and the test use it). */
  id: string;
  meaning: ProxyMeaning;
  /** What the row matches, in words. */
  when: string;
  matches(f: ProxyLineFacts): boolean;
}

const PAGE_TYPES = new Set(['text/html', 'application/xhtml+xml', 'application/pdf']);

/** Sub-resource file extensions (used only when the line carries no content type). */
const ASSET_EXTENSIONS = new Set(
  (
    'css js mjs map json xml txt csv ' +
    'png jpg jpeg gif svg webp ico bmp avif apng tif tiff ' +
    'woff woff2 ttf otf eot ' +
    'mp3 mp4 m4a m4s m4v webm ogg oga wav flac aac m3u8 mpd ts vtt ' +
    'wasm swf zip gz'
  ).split(' '),
);

/** Last path segments of analytics beacons and pings. */
const BEACON_SEGMENTS = new Set(['collect', 'beacon', 'ping', 'pixel', 'track', 'heartbeat', 'keepalive']);

const PAGE_METHODS = new Set(['GET', 'POST']);
const INTERNAL_METHODS = new Set(['PURGE', 'ICP_QUERY', 'HTCP_CLR', 'HTCP_TST']);

function extensionOf(path: string): string | null {
  const segment = path.slice(path.lastIndexOf('/') + 1);
  const dot = segment.lastIndexOf('.');
  return dot > 0 ? segment.slice(dot + 1) : null;
}

function lastSegment(path: string): string {
  return path.replace(/\/+$/, '').slice(path.replace(/\/+$/, '').lastIndexOf('/') + 1);
}

/** The rows, in the order they are tried. */
export const PROXY_LINE_RULES: readonly ProxyLineRule[] = [
  {
    id: 'denied',
    meaning: 'proxy_denied',
    when: 'result code contains DENIED (TCP_DENIED, TCP_DENIED_REPLY) or is TCP_REDIRECT (a url_rewrite helper such as SquidGuard or ufdbGuard redirected the request to its block page; the site was never contacted), or status 407 (proxy login challenge)',
    matches: (f) => {
      const code = f.resultCode.toUpperCase();
      // TCP_REDIRECT is Squid's own answer from a redirector, never the site's: a filter block.
      return code.includes('DENIED') || /^TCP_REDIRECT(_|$)/.test(code) || f.status === 407;
    },
  },
  {
    id: 'no_reply',
    meaning: 'proxy_no_reply',
    when: 'status 000: the client got no HTTP reply (aborted, timed out, connection refused)',
    matches: (f) => f.status === 0,
  },
  {
    id: 'internal',
    meaning: 'proxy_internal',
    when: 'the proxy talking to itself or to other caches: cache_object:, internal:, error: URLs, UDP_* result codes, PURGE/ICP/HTCP methods',
    matches: (f) =>
      /^(cache_object|internal|error):/i.test(f.url) ||
      f.resultCode.toUpperCase().startsWith('UDP_') ||
      INTERNAL_METHODS.has(f.method),
  },
  {
    id: 'failed',
    meaning: 'proxy_failed',
    when: 'status 400 or above: the site or the proxy answered with an error (404, 503 of a failed CONNECT, ...)',
    matches: (f) => f.status >= 400,
  },
  {
    id: 'empty',
    meaning: 'proxy_empty',
    when: 'status 2xx other than 204 with 0 bytes: nothing reached the client (a tunnel that carried nothing, an ssl-bump placeholder CONNECT); a 204 is the no_content row',
    matches: (f) => f.status >= 200 && f.status <= 299 && f.status !== 204 && f.bytes === 0,
  },
  {
    id: 'aborted',
    meaning: 'activity',
    when: 'result code ends in _ABORTED or _TIMEDOUT with a 1xx-3xx status: the transfer was cut short',
    matches: (f) => /_(ABORTED|TIMEDOUT)$/i.test(f.resultCode),
  },
  {
    id: 'tunnel',
    meaning: 'activity',
    when: 'method CONNECT: an HTTPS tunnel; the proxy sees the host, never the pages inside',
    matches: (f) => f.method === 'CONNECT',
  },
  {
    id: 'informational',
    meaning: 'activity',
    when: 'status 1xx (101: a WebSocket upgrade)',
    matches: (f) => f.status >= 100 && f.status <= 199,
  },
  {
    id: 'redirect',
    meaning: 'activity',
    when: 'status 3xx other than 304: a hop; the page it leads to is logged on its own line',
    matches: (f) => f.status >= 300 && f.status <= 399 && f.status !== 304,
  },
  {
    id: 'other_method',
    meaning: 'activity',
    when: 'a method other than GET and POST (HEAD, OPTIONS preflights, PUT, PATCH, DELETE, WebDAV ...)',
    matches: (f) => !PAGE_METHODS.has(f.method),
  },
  {
    // Before the page rows: a 204 has no body, so nothing is displayed (a browser stays on its page).
    id: 'no_content',
    meaning: 'activity',
    when: "status 204 (GET or POST): no content; a ping or beacon (Chrome's connectivity check generate_204, gen_204, stats), never a page",
    matches: (f) => f.status === 204,
  },
  {
    id: 'page_type',
    meaning: 'page',
    when: 'content type text/html, application/xhtml+xml or application/pdf (2xx other than 204, or 304)',
    matches: (f) => f.contentType !== undefined && PAGE_TYPES.has(f.contentType),
  },
  {
    id: 'other_type',
    meaning: 'activity',
    when: 'any other content type: css, javascript, images, fonts, audio/video, JSON/XML (XHR), text/plain, octet-stream',
    matches: (f) => f.contentType !== undefined,
  },
  {
    id: 'asset_extension',
    meaning: 'activity',
    when: 'no content type, and the path ends in an asset extension (.css .js .png .gif .woff2 .json .mp4 .m3u8 ...)',
    matches: (f) => {
      const ext = extensionOf(f.path);
      return ext !== null && ASSET_EXTENSIONS.has(ext);
    },
  },
  {
    id: 'beacon_path',
    meaning: 'activity',
    when: 'no content type, and the last path segment is an analytics beacon (collect, beacon, ping, pixel, track, heartbeat, keepalive)',
    matches: (f) => BEACON_SEGMENTS.has(lastSegment(f.path)),
  },
  {
    id: 'untyped_post',
    meaning: 'activity',
    when: 'POST without a content type: an API/XHR call or a form post (the page after a form post is the GET that follows)',
    matches: (f) => f.method === 'POST',
  },
  {
    id: 'page_default',
    meaning: 'page',
    when: 'every other GET (no content type; a document extension such as .html .php .aspx .pdf, or none)',
    matches: () => true,
  },
];

/** The first row that matches the line (the last row matches every line). */
export function proxyLineRule(facts: ProxyLineFacts): ProxyLineRule {
  return PROXY_LINE_RULES.find((r) => r.matches(facts)) ?? PROXY_LINE_RULES[PROXY_LINE_RULES.length - 1]!;
}

/** Normalises a logged content type: lower case, no parameters; `-` or empty → undefined. */
export function normalizeContentType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = value.split(';', 1)[0]!.trim().toLowerCase();
  return t === '' || t === '-' ? undefined : t;
}
