import { isIP } from 'node:net';
import { makeNativeEventSchema, type NativeEvent, type Source } from '../native-event';
import type { Rejection } from '../reject';
import {
  emptyResult,
  fail,
  finalize,
  guard,
  internalErrorResult,
  lookupAppId,
  normalizeDomain,
  sha256Hex,
  type AdaptResult,
  type AdapterContext,
  type Skip,
} from './common';

/**
 * Squid access log → native `page_view` events (source `proxy`).
 *
 * Formats: Squid native (`time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost type`,
 * time = unix seconds with milliseconds; extra trailing fields are ignored) and Apache common/combined
 * (`host ident user [10/Oct/2000:13:55:36 -0700] "GET url HTTP/1.1" status bytes ...`), detected per line.
 *
 * Per line:
 * - blank lines and `#` comments are ignored (not counted);
 * - a line that fits neither format → `unparseable_line` with its line number;
 * - skipped (valid, but no usage): requests the proxy denied (`*_DENIED`, status 407 auth challenge),
 *   requests that got no reply (status 000), and Squid's own cache-manager requests (`cache_object://`,
 *   `internal://`, `error:` pseudo-URLs);
 * - the user is the `rfc931`/auth user column; `-` means none → `missing_identifier` naming `rfc931`,
 *   unless `ipAsDevice` is set, in which case the client IP becomes `device_id`;
 * - app: domain = URL host (also for `CONNECT host:443`), url = scheme://host/path without the query;
 *   app_id from `appIds` when the host is known;
 * - event_id = sha256(`source|lineNo|line`): re-importing the same file yields the same ids.
 */
export interface SquidContext extends AdapterContext {
  /** Source written into the events (default `proxy`). */
  source?: Source;
  /** Use the client IP as `device_id` when the line has no user (default false: such lines are rejected). */
  ipAsDevice?: boolean;
  /** Which native field the user column holds (default `username`; `email` for `user@domain` logins). */
  userField?: 'username' | 'email' | 'sourced_id';
}

/** The fields of one access-log line. */
export interface SquidLine {
  format: 'squid' | 'common';
  /** Epoch milliseconds. */
  timeMs: number;
  elapsedMs?: number;
  remoteHost: string;
  resultCode: string;
  status: number;
  bytes: number;
  method: string;
  url: string;
  /** User column (`rfc931` / auth user); undefined when `-`. */
  user?: string;
  hierarchy?: string;
  contentType?: string;
}

const NATIVE_RE =
  /^(\d{9,11}(?:\.\d{1,6})?)\s+(-?\d+)\s+(\S+)\s+([A-Za-z_]+)\/(\d{3})\s+(\d+|-)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(\S+))?(?:\s.*)?$/;
const COMMON_RE =
  /^(\S+)\s+(\S+)\s+(\S+)\s+\[(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})\s+([+-]\d{4})\]\s+"(\S+)\s+(\S+)(?:\s+[^"]*)?"\s+(\d{3})\s+(\d+|-)(?:\s.*?)?(?:\s+([A-Z_]+):(\S+))?\s*$/;
const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

function userColumn(v: string | undefined): string | undefined {
  if (v === undefined || v === '-' || v === '') return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** Parses one access-log line (native or common/combined); null when it fits neither. */
export function parseSquidLine(line: string): SquidLine | null {
  const s = line.trim();
  let m = NATIVE_RE.exec(s);
  if (m) {
    const user = userColumn(m[9]);
    return {
      format: 'squid',
      timeMs: Math.round(Number(m[1]) * 1000),
      elapsedMs: Number(m[2]),
      remoteHost: m[3]!,
      resultCode: m[4]!,
      status: Number(m[5]),
      bytes: m[6] === '-' ? 0 : Number(m[6]),
      method: m[7]!,
      url: m[8]!,
      ...(user !== undefined ? { user } : {}),
      hierarchy: m[10]!,
      ...(m[11] !== undefined ? { contentType: m[11] } : {}),
    };
  }
  m = COMMON_RE.exec(s);
  if (m) {
    const month = MONTHS[m[5]!.toLowerCase()];
    if (month === undefined) return null;
    const off = m[10]!;
    const offMin = (off.startsWith('-') ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(3, 5)));
    const timeMs =
      Date.UTC(Number(m[6]), month, Number(m[4]), Number(m[7]), Number(m[8]), Number(m[9])) - offMin * 60_000;
    const user = userColumn(m[3]) ?? userColumn(m[2]);
    return {
      format: 'common',
      timeMs,
      remoteHost: m[1]!,
      resultCode: m[15] ?? 'NONE',
      status: Number(m[13]),
      bytes: m[14] === '-' ? 0 : Number(m[14]),
      method: m[11]!,
      url: m[12]!,
      ...(user !== undefined ? { user } : {}),
      ...(m[16] !== undefined ? { hierarchy: m[16] } : {}),
    };
  }
  return null;
}

/** Host of a logged URL: `http://host:port/path`, or `host:port` for CONNECT. */
function urlParts(url: string, method: string): { host: string; url?: string } | null {
  if (method.toUpperCase() === 'CONNECT' || !url.includes('://')) {
    const hm = /^\[?([A-Za-z0-9.:-]+?)\]?(?::(\d{1,5}))?$/.exec(url);
    return hm ? { host: hm[1]!.toLowerCase() } : null;
  }
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (!host) return null;
    const clean =
      u.protocol === 'http:' || u.protocol === 'https:' ? `${u.protocol}//${u.host}${u.pathname}` : undefined;
    return { host, ...(clean !== undefined && clean.length <= 8192 ? { url: clean } : {}) };
  } catch {
    return null;
  }
}

type LineOutcome =
  | { kind: 'event'; event: NativeEvent }
  | { kind: 'skip'; skip: Skip }
  | { kind: 'reject'; rejection: Rejection }
  | { kind: 'ignore' };

function adaptLineOutcome(
  line: string,
  lineNo: number,
  ctx: SquidContext,
  schema: ReturnType<typeof makeNativeEventSchema>,
): LineOutcome {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'ignore' };
  const out = guard<NativeEvent | Skip>(line, lineNo, lineNo, () => {
    const p = parseSquidLine(trimmed);
    if (!p) fail('unparseable_line', undefined, `line ${lineNo}: not a Squid native or common log line`);
    const skip = (reason: string, message: string): Skip => ({ reason, message, line: lineNo });
    if (/DENIED/.test(p.resultCode) || p.status === 407) return skip('proxy_denied', 'the proxy denied the request');
    if (p.status === 0) return skip('proxy_no_reply', 'the request got no reply (status 000)');
    if (/^(cache_object|internal):/i.test(p.url) || /^error:/i.test(p.url)) {
      return skip('proxy_internal', 'a request of the proxy itself (cache manager, internal or error pseudo-URL)');
    }
    const source = ctx.source ?? 'proxy';
    const clientIp = isIP(p.remoteHost) !== 0 ? p.remoteHost : undefined;
    let user: Record<string, string>;
    if (p.user !== undefined) user = { [ctx.userField ?? 'username']: p.user };
    else if (ctx.ipAsDevice && clientIp) user = { device_id: clientIp };
    else fail('missing_identifier', 'rfc931', `line ${lineNo}: no user name on the line`);
    const parts = urlParts(p.url, p.method);
    if (!parts) fail('invalid_field', 'url', `line ${lineNo}: cannot read a host from ${p.url.slice(0, 200)}`);
    const domain = normalizeDomain(parts.host);
    const appId = lookupAppId([parts.url ?? parts.host, parts.host], ctx.appIds);
    if (!domain && !appId && !parts.url)
      fail('missing_identifier', 'url', `line ${lineNo}: no usable host in ${p.url.slice(0, 200)}`);
    const occurredAt = new Date(p.timeMs);
    if (Number.isNaN(occurredAt.getTime())) fail('unparseable_line', 'time', `line ${lineNo}: bad time`);
    return finalize(
      {
        event_id: `sha256:${sha256Hex(`${source}|${lineNo}|${line}`)}`,
        occurred_at: occurredAt.toISOString(),
        district_id: ctx.districtId,
        source,
        type: 'page_view',
        user,
        app: {
          ...(appId !== undefined ? { app_id: appId } : {}),
          ...(domain !== undefined ? { domain } : {}),
          ...(parts.url !== undefined ? { url: parts.url } : {}),
        },
        ...(clientIp !== undefined ? { client_ip: clientIp } : {}),
      },
      schema,
      { occurred_at: 'time', user: 'rfc931', app: 'url', client_ip: 'remotehost' },
    );
  });
  if (!out.ok) {
    const rejection = out.rejection;
    rejection.reason.line = lineNo;
    rejection.index = lineNo;
    return { kind: 'reject', rejection };
  }
  if ('reason' in out.value && !('event_id' in out.value)) return { kind: 'skip', skip: out.value as Skip };
  return { kind: 'event', event: out.value as NativeEvent };
}

/**
 * Adapts one access-log line (`lineNo` is 1-based). Blank and comment lines give an empty result.
 * Never throws.
 */
export function adaptSquidLine(line: string, lineNo: number, ctx: SquidContext): AdaptResult {
  try {
    return addOutcome(emptyResult(), adaptLineOutcome(line, lineNo, ctx, makeNativeEventSchema(ctx.now)));
  } catch (err) {
    return internalErrorResult(line, err);
  }
}

function addOutcome(result: AdaptResult, o: LineOutcome): AdaptResult {
  if (o.kind === 'event') result.events.push(o.event);
  else if (o.kind === 'skip') result.skipped.push(o.skip);
  else if (o.kind === 'reject') result.rejects.push(o.rejection);
  return result;
}

/** Adapts a whole log text (lines split on LF or CRLF, numbered from 1). Never throws. */
export function adaptSquidLog(text: string, ctx: SquidContext): AdaptResult {
  try {
    const result = emptyResult();
    const schema = makeNativeEventSchema(ctx.now);
    text.split(/\r?\n/).forEach((line, i) => addOutcome(result, adaptLineOutcome(line, i + 1, ctx, schema)));
    return result;
  } catch (err) {
    return internalErrorResult(text, err);
  }
}

/** One line's outcome in a stream. */
export type SquidStreamItem =
  { line: number; event: NativeEvent } | { line: number; rejection: Rejection } | { line: number; skip: Skip };

/**
 * Streaming form for large files: feed lines (e.g. from `readline.createInterface({ input })`) and
 * get one outcome per non-blank line, in order, with constant memory. Never throws for bad lines.
 */
export async function* adaptSquidStream(
  lines: AsyncIterable<string> | Iterable<string>,
  ctx: SquidContext,
): AsyncGenerator<SquidStreamItem> {
  const schema = makeNativeEventSchema(ctx.now);
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    let o: LineOutcome;
    try {
      o = adaptLineOutcome(line, lineNo, ctx, schema);
    } catch (err) {
      o = {
        kind: 'reject',
        rejection: {
          reason: {
            code: 'internal_error',
            message: `internal error: ${err instanceof Error ? err.message : String(err)}`,
            line: lineNo,
          },
          payload: line,
          index: lineNo,
        },
      };
    }
    if (o.kind === 'event') yield { line: lineNo, event: o.event };
    else if (o.kind === 'skip') yield { line: lineNo, skip: o.skip };
    else if (o.kind === 'reject') yield { line: lineNo, rejection: o.rejection };
  }
}
