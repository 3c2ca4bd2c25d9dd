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
import { ProxyMinuteFolder } from './squid-fold';
import { normalizeContentType, proxyLineRule, type ProxyLineRule, type ProxyMeaning } from './squid-meaning';
import { parseSquidLine, requestPath, requestTarget, type RequestTarget, type SquidLine } from './squid-parse';

export { parseSquidLine, requestTarget, type RequestTarget, type SquidLine } from './squid-parse';
export {
  PROXY_LINE_RULES,
  proxyLineRule,
  type ProxyLineFacts,
  type ProxyLineRule,
  type ProxyMeaning,
  type ProxySkipReason,
} from './squid-meaning';
export { ProxyMinuteFolder } from './squid-fold';

/**
 * Squid access log → native events (source `proxy`). What a line counts as is the meaning table of
 * squid-meaning.ts (docs/MEANING.md "Proxy logs"):
 *
 * Formats: Squid native (`time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost type`,
 * time = unix seconds with milliseconds; extra trailing fields are ignored) and Apache common/combined
 * (`host ident user [10/Oct/2000:13:55:36 -0700] "GET url HTTP/1.1" status bytes ...`), detected per line.
 *
 * Per line:
 * - blank lines and `#` comments are ignored (not counted);
 * - a line that fits neither format → `unparseable_line` with its line number;
 * - failed, denied, empty and proxy-internal lines are skipped with the table's reason;
 * - a page line → `page_view`, event_id = sha256(`source|lineNo|line`);
 * - an activity line (asset, XHR, CONNECT, redirect...) → `heartbeat` whose event_id is the minute
 *   key sha256(`source|activity|user|host|minute`), skipped as `proxy_folded` when its person × host ×
 *   minute already has an event earlier in the same log (`ctx.folder`); both digests are unkeyed and
 *   made of the line's user and times, so enrich writes a keyed digest of them instead (`enrichedEventId`);
 * - the user is the `rfc931`/auth user column; `-` means none → `missing_identifier` naming `rfc931`,
 *   unless `ipAsDevice` is set, in which case the client IP becomes `device_id`;
 * - app: domain = URL host (also for `CONNECT host:443`), url = scheme://host/path without the query,
 *   app_id from `appIds` when the host is known; an IP-literal host is never a domain: app_id
 *   `ip:<address>` (unless a catalog hint names the app), no domain, no url.
 */
export interface SquidContext extends AdapterContext {
  /** Source written into the events (default `proxy`). */
  source?: Source;
  /** Use the client IP as `device_id` when the line has no user (default false: such lines are rejected). */
  ipAsDevice?: boolean;
  /** Which native field the user column holds (default `username`; `email` for `user@domain` logins). */
  userField?: 'username' | 'email' | 'sourced_id';
  /**
   * Claims of person × host × minute across the lines of one log. `adaptSquidLog`/`adaptSquidStream`
   * make one per call; a caller of `adaptSquidLine` passes one per file (without it nothing folds,
   * and repeated activity lines of a minute are left to the downstream de-duplication of their ids).
   */
  folder?: ProxyMinuteFolder;
}

type LineOutcome =
  | { kind: 'event'; event: NativeEvent }
  | { kind: 'skip'; skip: Skip }
  | { kind: 'reject'; rejection: Rejection }
  | { kind: 'ignore' };

const SKIP_MESSAGES: Record<Exclude<ProxyMeaning, 'page' | 'activity'>, string> = {
  proxy_denied: 'the proxy denied the request',
  proxy_no_reply: 'the request got no reply (status 000)',
  proxy_internal: 'a request of the proxy itself (cache manager, internal or error pseudo-URL, cache peers)',
  proxy_failed: 'the request failed (HTTP error status)',
  proxy_empty: 'nothing was delivered (0 bytes)',
};

function ruleOf(p: SquidLine): ProxyLineRule {
  const method = p.method.toUpperCase();
  return proxyLineRule({
    resultCode: p.resultCode,
    status: p.status,
    bytes: p.bytes,
    method,
    url: p.url,
    path: requestPath(p.url, method),
    contentType: normalizeContentType(p.contentType),
  });
}

/** The meaning-table row a log line falls under; null when the line is no access-log line. */
export function squidLineRule(line: string): ProxyLineRule | null {
  const p = parseSquidLine(line);
  return p ? ruleOf(p) : null;
}

function appOf(target: RequestTarget, appIds: Record<string, string> | undefined): NativeEvent['app'] {
  if (target.isIp) {
    // A bare address names no app: keep it unresolved under its own key, never as a domain.
    const hinted = lookupAppId(target.url !== undefined ? [target.url] : [], appIds);
    return { app_id: hinted ?? `ip:${target.host}` };
  }
  const domain = normalizeDomain(target.host);
  const appId = lookupAppId([target.url ?? target.host, target.host], appIds);
  return {
    ...(appId !== undefined ? { app_id: appId } : {}),
    ...(domain !== undefined ? { domain } : {}),
    ...(target.url !== undefined ? { url: target.url } : {}),
  };
}

type EventSchema = ReturnType<typeof makeNativeEventSchema>;

function lineEvent(line: string, lineNo: number, p: SquidLine, ctx: SquidContext, schema: EventSchema, page: boolean) {
  const source = ctx.source ?? 'proxy';
  const clientIp = isIP(p.remoteHost) !== 0 ? p.remoteHost : undefined;
  let user: Record<string, string>;
  if (p.user !== undefined) user = { [ctx.userField ?? 'username']: p.user };
  else if (ctx.ipAsDevice && clientIp) user = { device_id: clientIp };
  else fail('missing_identifier', 'rfc931', `line ${lineNo}: no user name on the line`);
  const target = requestTarget(p.url, p.method);
  if (!target) fail('invalid_field', 'url', `line ${lineNo}: cannot read a host from ${p.url.slice(0, 200)}`);
  const app = appOf(target, ctx.appIds);
  if (!app.app_id && !app.domain && !app.url)
    fail('missing_identifier', 'url', `line ${lineNo}: no usable host in ${p.url.slice(0, 200)}`);
  const occurredAt = new Date(p.timeMs);
  if (Number.isNaN(occurredAt.getTime())) fail('unparseable_line', 'time', `line ${lineNo}: bad time`);
  const [userField, userValue] = Object.entries(user)[0]!;
  // Fold key: the person as the line names them, the host without `www.` (as enrich keys apps).
  const key = `${userField}:${userValue}|${target.host.replace(/^www\./, '')}`;
  const minute = Math.floor(p.timeMs / 60_000);
  const event = finalize(
    {
      event_id: `sha256:${sha256Hex(page ? `${source}|${lineNo}|${line}` : `${source}|activity|${key}|${minute}`)}`,
      occurred_at: occurredAt.toISOString(),
      district_id: ctx.districtId,
      source,
      type: page ? 'page_view' : 'heartbeat',
      user,
      app,
      ...(clientIp !== undefined ? { client_ip: clientIp } : {}),
    },
    schema,
    { occurred_at: 'time', user: 'rfc931', app: 'url', client_ip: 'remotehost' },
  );
  return { event, key, minute };
}

function adaptLineOutcome(line: string, lineNo: number, ctx: SquidContext, schema: EventSchema): LineOutcome {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'ignore' };
  const out = guard<NativeEvent | Skip>(line, lineNo, lineNo, () => {
    const p = parseSquidLine(trimmed);
    if (!p) fail('unparseable_line', undefined, `line ${lineNo}: not a Squid native or common log line`);
    const rule = ruleOf(p);
    if (rule.meaning !== 'page' && rule.meaning !== 'activity') {
      return { reason: rule.meaning, message: `${SKIP_MESSAGES[rule.meaning]} (rule ${rule.id})`, line: lineNo };
    }
    const { event, key, minute } = lineEvent(line, lineNo, p, ctx, schema, rule.meaning === 'page');
    if (rule.meaning === 'activity' && ctx.folder?.isClaimed(key, minute)) {
      return {
        reason: 'proxy_folded',
        message: `folded into this person's earlier event on this host in the same minute (rule ${rule.id})`,
        line: lineNo,
      };
    }
    ctx.folder?.claim(key, minute);
    return event;
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
 * Pass `ctx.folder` (one per file) so activity lines fold against earlier lines. Never throws.
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
    const fileCtx = { ...ctx, folder: ctx.folder ?? new ProxyMinuteFolder() };
    const schema = makeNativeEventSchema(ctx.now);
    text.split(/\r?\n/).forEach((line, i) => addOutcome(result, adaptLineOutcome(line, i + 1, fileCtx, schema)));
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
 * get one outcome per non-blank line, in order, with bounded memory. Never throws for bad lines.
 */
export async function* adaptSquidStream(
  lines: AsyncIterable<string> | Iterable<string>,
  ctx: SquidContext,
): AsyncGenerator<SquidStreamItem> {
  const fileCtx = { ...ctx, folder: ctx.folder ?? new ProxyMinuteFolder() };
  const schema = makeNativeEventSchema(ctx.now);
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    let o: LineOutcome;
    try {
      o = adaptLineOutcome(line, lineNo, fileCtx, schema);
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
