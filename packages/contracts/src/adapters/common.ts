import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  DOMAIN_RE,
  ISO_INSTANT_RE,
  checkTimeBounds,
  isRealInstant,
  makeNativeEventSchema,
  type AppRef,
  type NativeEvent,
} from '../native-event';
import { reasonFromZod, type RejectReason, type Rejection } from '../reject';
import { describeTooDeep, findTooDeep } from './json-depth';

/**
 * An input item that is valid but carries no usage, so it is neither an event nor a dead letter
 * (a Caliper entity description inside an envelope, a proxy line that the proxy denied, ...).
 * Callers count these; they are documented per adapter.
 */
export interface Skip {
  /** Stable machine code, e.g. `caliper_entity`, `proxy_denied`, `proxy_internal`. */
  reason: string;
  message: string;
  /** Position in the batch (0-based) for JSON inputs. */
  index?: number;
  /** 1-based line number for line-oriented inputs. */
  line?: number;
}

/** An item an adapter recognised as valid but not usage; becomes a {@link Skip} at its position. */
export interface SkipOutcome {
  skip: string;
  message: string;
}

/** What every adapter returns. Adapters never throw: every item ends up in exactly one list. */
export interface AdaptResult {
  events: NativeEvent[];
  rejects: Rejection[];
  skipped: Skip[];
}

/** Context shared by all adapters. */
export interface AdapterContext {
  /** District the input belongs to (from the API key or the import command). */
  districtId: string;
  /**
   * Clock for the time bounds of `occurred_at` (not more than 24 h ahead, not more than 5 years
   * old). Default: the current time. Tests and replays of old files pass a fixed instant.
   */
  now?: Date;
  /**
   * Catalog hints: app_id by hostname (`khanacademy.org`, also matches sub-domains) or by IRI
   * prefix (`https://example.edu/lti/tools/7`, any key containing `://`; prefixes win over hosts, the
   * longest prefix first; among candidates the adapter's order decides).
   */
  appIds?: Record<string, string>;
}

/** Which native user field an identifier lands in. */
export type IdTarget = 'sourced_id' | 'username';

/**
 * How a source's person (or class) identifier becomes a native identifier.
 * - `iri`: the whole value (default target `username`);
 * - `whole`: the whole value (default target `sourced_id`) — meant for plain ids such as xAPI `account.name`;
 * - `iri_last_segment`: the last path segment of the IRI, URL-decoded (`https://x.edu/users/554433` → `554433`;
 *   for URNs the part after the last `:`) (default target `sourced_id`);
 * - `regex`: the first capture group of `pattern` (or the whole match without groups) (default target `sourced_id`).
 * A value the mapping cannot take (regex does not match, no segment) is rejected naming the field.
 */
export type IdMapping =
  | { kind: 'iri'; target?: IdTarget }
  | { kind: 'whole'; target?: IdTarget }
  | { kind: 'iri_last_segment'; target?: IdTarget }
  | { kind: 'regex'; pattern: string; flags?: string; target?: IdTarget };

/** Thrown inside adapters to reject one item; caught per item and turned into a {@link Rejection}. */
export class RejectError extends Error {
  constructor(readonly reason: RejectReason) {
    super(reason.message);
  }
}

export function fail(code: RejectReason['code'], field: string | undefined, message: string): never {
  throw new RejectError({
    code,
    ...(field ? { field } : {}),
    message: field ? `${field}: ${message}` : message,
  });
}

/** Runs one item's adaptation; any RejectError or bug becomes a rejection of that item. */
export function guard<T>(
  payload: unknown,
  index: number | undefined,
  line: number | undefined,
  fn: () => T,
): { ok: true; value: T } | { ok: false; rejection: Rejection } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    const reason: RejectReason =
      err instanceof RejectError
        ? { ...err.reason }
        : {
            code: 'internal_error',
            message: `internal error while adapting: ${err instanceof Error ? err.message : String(err)}`,
          };
    if (line !== undefined && reason.line === undefined) reason.line = line;
    return {
      ok: false,
      rejection: { reason, payload, ...(index !== undefined ? { index } : {}) },
    };
  }
}

export function emptyResult(): AdaptResult {
  return { events: [], rejects: [], skipped: [] };
}

export function internalErrorResult(payload: unknown, err: unknown): AdaptResult {
  return {
    events: [],
    rejects: [
      {
        reason: {
          code: 'internal_error',
          message: `internal error while adapting: ${err instanceof Error ? err.message : String(err)}`,
        },
        payload,
      },
    ],
    skipped: [],
  };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

/** JSON with object keys sorted at every level: the same data always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Deterministic event id for inputs that carry none: `sha256:` + digest of the canonical JSON. */
export function contentEventId(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}

/** U+FEFF, the byte order mark that "UTF-8 with BOM" files (PowerShell 5.1 `Out-File`, Notepad) start with. */
const BOM = 0xfeff;

/**
 * The text without a leading byte order mark. JSON.parse refuses one ("Unexpected token"), and it is
 * invisible in every message, so an NDJSON file or body saved with a BOM would lose its first line.
 */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === BOM ? text.slice(1) : text;
}

/**
 * Path of the first duplicated object key in JSON text (`actor`, `context.extensions.x`), or null.
 * JSON.parse silently keeps the last duplicate; xAPI requires such statements to be rejected.
 * Expects valid JSON (call after JSON.parse succeeded).
 */
export function findDuplicateKey(input: string): string | null {
  // Read as parseJsonPayload reads it: with a byte order mark, the scan would stop at once.
  const text = withoutBom(input);
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): string | null => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return null;
      }
      for (;;) {
        ws();
        const key = str();
        const p = path ? `${path}.${key}` : key;
        if (seen.has(key)) return p;
        seen.add(key);
        ws();
        i++; // ':'
        const d = value(p);
        if (d !== null) return d;
        ws();
        if (text[i++] === '}') return null;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return null;
      }
      for (let n = 0; ; n++) {
        const d = value(path ? `${path}.${n}` : String(n));
        if (d !== null) return d;
        ws();
        if (text[i++] === ']') return null;
      }
    }
    if (c === '"') {
      str();
      return null;
    }
    while (i < text.length && !',]} \t\r\n'.includes(text[i]!)) i++;
    return null;
  };
  try {
    return value('');
  } catch {
    return null;
  }
}

/** Options of {@link parseJsonPayload}. */
export interface ParseJsonOptions {
  /** 1-based line of this text in its input (an NDJSON line); named in the reason. */
  line?: number;
  /** Nesting deeper than this many arrays/objects is refused before parsing (see {@link findTooDeep}). */
  maxDepth?: number;
  /** The setting behind `maxDepth`, named in the message (e.g. `INGEST_MAX_JSON_DEPTH`). */
  depthSetting?: string;
  /** A duplicated key is an `invalid_field` reason naming its path (xAPI). */
  rejectDuplicateKeys?: boolean;
}

/** Outcome of {@link parseJsonPayload}; `detail` is the bare cause, for callers that word their own message. */
export type ParsedJson = { ok: true; value: unknown } | { ok: false; reason: RejectReason; detail: string };

/**
 * The one JSON parse of the pipeline: failure is a value, never a throw. A leading byte order mark is
 * skipped (a body, an NDJSON line, a dead letter's payload). Not JSON (or nested deeper than
 * `maxDepth`) is a `malformed_json` reason with the line when known; with `rejectDuplicateKeys`, a
 * duplicated key is an `invalid_field` reason naming its path.
 */
export function parseJsonPayload(input: string, options: ParseJsonOptions = {}): ParsedJson {
  const { line } = options;
  const text = withoutBom(input);
  if (options.maxDepth !== undefined) {
    const tooDeep = findTooDeep(text, options.maxDepth);
    if (tooDeep) {
      const detail = describeTooDeep(tooDeep, line, options.depthSetting);
      const where = line ?? tooDeep.line;
      return {
        ok: false,
        detail,
        reason: { code: 'malformed_json', message: `line ${where}: ${detail}`, line: where },
      };
    }
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (options.rejectDuplicateKeys) {
      const dup = findDuplicateKey(text);
      if (dup !== null) {
        const detail = `${dup}: the key appears more than once`;
        return {
          ok: false,
          detail,
          reason: {
            code: 'invalid_field',
            field: dup,
            message: `${line !== undefined ? `line ${line}: ` : ''}${detail}`,
            ...(line !== undefined ? { line } : {}),
          },
        };
      }
    }
    return { ok: true, value };
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'parse error';
    // For a multi-line document, the line where parsing failed (from V8's "position N"; else the first line with text).
    let where = line;
    if (where === undefined) {
      const pos = /position (\d+)/.exec(detail);
      const at = pos ? Number(pos[1]) : Math.max(0, text.search(/\S/));
      where = text.slice(0, at).split('\n').length;
    }
    return {
      ok: false,
      detail,
      reason: { code: 'malformed_json', message: `line ${where}: not valid JSON (${detail})`, line: where },
    };
  }
}

/** Last segment of a type or action IRI (`http://purl.imsglobal.org/caliper/v1/ViewEvent` → `ViewEvent`). */
export function lastIriSegment(value: string): string {
  const cut = Math.max(value.lastIndexOf('/'), value.lastIndexOf('#'));
  return cut >= 0 ? value.slice(cut + 1) : value;
}

/** An absolute IRI: a scheme and no white space (`https://…`, `urn:uuid:…`, `mailto:…`). */
export function isIri(value: unknown): value is string {
  return typeof value === 'string' && /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$/.test(value);
}

/** Hostname of an http(s) IRI when it is a usable domain name (not `localhost`, not IPv6). */
export function domainOf(iri: string | undefined): string | undefined {
  if (!iri) return undefined;
  let url: URL;
  try {
    url = new URL(iri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return normalizeDomain(url.hostname);
}

export function normalizeDomain(host: string): string | undefined {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  return h.length <= 253 && DOMAIN_RE.test(h) ? h : undefined;
}

function isHttpUrl(iri: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(iri) && iri.length <= 8192;
}

/** app_id for the first candidate IRI (or host) the catalog hints know. */
export function lookupAppId(
  candidates: readonly string[],
  appIds: Record<string, string> | undefined,
): string | undefined {
  if (!appIds) return undefined;
  const keys = Object.keys(appIds);
  const prefixKeys = keys.filter((k) => k.includes('://')).sort((a, b) => b.length - a.length);
  const hostKeys = keys.filter((k) => !k.includes('://'));
  // IRI prefixes are the more specific hints: any candidate matching one wins over host matches.
  for (const c of candidates) {
    const p = prefixKeys.find((k) => c.startsWith(k));
    if (p !== undefined) return appIds[p];
  }
  for (const c of candidates) {
    const host = c.includes('://') ? domainOf(c) : normalizeDomain(c);
    if (host) {
      const hk = hostKeys
        .filter((k) => host === k.toLowerCase() || host.endsWith(`.${k.toLowerCase()}`))
        .sort((a, b) => b.length - a.length)[0];
      if (hk !== undefined) return appIds[hk];
    }
  }
  return undefined;
}

/**
 * Builds the native `app` from candidate IRIs in order of preference: app_id from the catalog
 * hints, domain = the first candidate with a usable host, url = the first http(s) candidate.
 */
export function appFromIris(
  candidates: ReadonlyArray<string | undefined>,
  appIds: Record<string, string> | undefined,
  fallback?: { app_id?: string; domain?: string },
): Partial<AppRef> {
  const list = candidates.filter((c): c is string => typeof c === 'string' && c.length > 0);
  const app_id = lookupAppId(list, appIds) ?? fallback?.app_id;
  let domain: string | undefined;
  for (const c of list) {
    domain = domainOf(c);
    if (domain) break;
  }
  domain ??= fallback?.domain;
  const url = list.find(isHttpUrl);
  return {
    ...(app_id !== undefined ? { app_id } : {}),
    ...(domain !== undefined ? { domain } : {}),
    ...(url !== undefined ? { url } : {}),
  };
}

const regexCache = new Map<string, RegExp>();
function compiled(pattern: string, flags = ''): RegExp {
  const key = `${flags}/${pattern}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(pattern, flags.replace(/[gy]/g, ''));
    if (regexCache.size > 256) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

/** Applies an {@link IdMapping}; null when the value cannot be mapped. */
export function applyIdMapping(value: string, mapping: IdMapping): { value: string; target: IdTarget } | null {
  const v = value.trim();
  let out: string | undefined;
  let target: IdTarget = 'sourced_id';
  switch (mapping.kind) {
    case 'iri':
      out = v;
      target = 'username';
      break;
    case 'whole':
      out = v;
      break;
    case 'iri_last_segment': {
      const noFrag = v.replace(/[?#].*$/, '').replace(/\/+$/, '');
      const slash = noFrag.lastIndexOf('/');
      const seg = slash >= 0 ? noFrag.slice(slash + 1) : noFrag.slice(noFrag.lastIndexOf(':') + 1);
      try {
        out = decodeURIComponent(seg);
      } catch {
        out = seg;
      }
      break;
    }
    case 'regex': {
      const m = compiled(mapping.pattern, mapping.flags).exec(v);
      out = m ? (m[1] ?? (m.length === 1 ? m[0] : undefined)) : undefined;
      break;
    }
  }
  if (mapping.target) target = mapping.target;
  if (out === undefined || out.trim().length === 0 || out.length > 256) return null;
  return { value: out.trim(), target };
}

/** ISO 8601 extended date-times as RFC 3339 (§5.6) spells them: `t`/`z` and a space separator included. */
const SOURCE_INSTANT_RE =
  /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([+-]\d{2})(?::?(\d{2}))?)?$/;

/**
 * A source's date-time written as the native `occurred_at`, or why it is none. The spellings ISO 8601
 * and RFC 3339 allow are written one way: `t`, `z` and a space separator become `T` and `Z`, an
 * offset of hours only or without colon (`+05`, `+0500`) becomes `+05:00`, and a fraction longer than
 * nanoseconds is cut to 9 digits (xAPI 1.0.3 Data §4.5 allows cutting to 3). No offset is UTC and gets
 * a `Z` (xAPI and Caliper send UTC anyway). The xAPI route checks timestamps with this too, so what it
 * answers 200 for is what the adapter reads. No time bounds here (see {@link normalizeInstant}).
 */
export function readSourceInstant(value: string): { ok: true; value: string } | { ok: false; problem: string } {
  const m = SOURCE_INSTANT_RE.exec(value);
  if (m === null) return { ok: false, problem: 'must be an ISO 8601 date-time' };
  const [, date, hoursMinutes, seconds, fraction, z, offsetHours, offsetMinutes] = m;
  const offset = z !== undefined || offsetHours === undefined ? 'Z' : `${offsetHours}:${offsetMinutes ?? '00'}`;
  const s =
    `${date}T${hoursMinutes}` +
    (seconds !== undefined ? `:${seconds}` : '') +
    (fraction !== undefined ? `.${fraction.slice(0, 9)}` : '') +
    offset;
  if (!ISO_INSTANT_RE.test(s) || !isRealInstant(s)) return { ok: false, problem: 'is not a real date-time' };
  return { ok: true, value: s };
}

/**
 * Normalizes a source timestamp to the native `occurred_at` ({@link readSourceInstant}) within the
 * time bounds of `now`. Rejections name `field`.
 */
export function normalizeInstant(value: unknown, field: string, now: Date): string {
  if (value === undefined || value === null || value === '') fail('invalid_field', field, 'is missing');
  if (typeof value !== 'string') fail('invalid_field', field, 'must be a string');
  const read = readSourceInstant(value.trim());
  if (!read.ok) fail('invalid_field', field, read.problem);
  const problem = checkTimeBounds(read.value, now);
  if (problem) fail('invalid_field', field, problem);
  return read.value;
}

/**
 * Final check of an adapted event with the native schema (time bounds against `now`). Issues on
 * native fields are reported under the source's own field names via `fieldMap` (longest native
 * prefix wins), e.g. `{ occurred_at: 'eventTime', user: 'actor' }`.
 */
export function finalize(
  candidate: Record<string, unknown>,
  schema: ReturnType<typeof makeNativeEventSchema>,
  fieldMap: Record<string, string>,
): NativeEvent {
  const parsed = schema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const reason = reasonFromZod(parsed.error as z.ZodError);
  const nativeField = reason.field ?? '';
  const key = Object.keys(fieldMap)
    .filter((k) => nativeField === k || nativeField.startsWith(`${k}.`))
    .sort((a, b) => b.length - a.length)[0];
  const field = key !== undefined ? fieldMap[key] : nativeField || undefined;
  const detail = parsed.error.issues[0]?.message ?? 'invalid';
  throw new RejectError({
    code: reason.code,
    ...(field ? { field } : {}),
    message: `${field ?? 'event'}: ${detail}${field !== nativeField && nativeField ? ` (native ${nativeField})` : ''}`,
  });
}

/** What a standard's adapter found for one event; the district and source come from its context. */
export interface FoundEvent {
  eventId: unknown;
  occurredAt: unknown;
  type: string;
  user: unknown;
  app: unknown;
  activeSeconds?: number | undefined;
  classId?: string | undefined;
}

/**
 * The native event of what a Caliper or xAPI adapter found, in the context's district and source
 * (`defaultSource` when the context names none), checked with `finalize`.
 */
export function finalizeFound(
  found: FoundEvent,
  ctx: { districtId: string; source?: string | undefined },
  defaultSource: string,
  schema: ReturnType<typeof makeNativeEventSchema>,
  fieldMap: Record<string, string>,
): NativeEvent {
  return finalize(
    {
      event_id: found.eventId,
      occurred_at: found.occurredAt,
      district_id: ctx.districtId,
      source: ctx.source ?? defaultSource,
      type: found.type,
      user: found.user,
      app: found.app,
      ...(found.activeSeconds !== undefined ? { active_seconds: found.activeSeconds } : {}),
      ...(found.classId !== undefined ? { class_id: found.classId } : {}),
    },
    schema,
    fieldMap,
  );
}

/** Parses an ISO 8601 duration (`PT4H35M20.00S`, `P1DT2H`, `PT03M15S`) to seconds; null if malformed. */
export function parseIsoDuration(value: string): number | null {
  const m =
    /^P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?=\d)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/.exec(
      value.trim(),
    );
  if (!m) return null;
  const n = (i: number): number => (m[i] ? Number(m[i]!.replace(',', '.')) : 0);
  // Years and months have no fixed length; 365 and 30 days are only used to detect absurd values.
  return n(1) * 365 * 86_400 + n(2) * 30 * 86_400 + n(3) * 7 * 86_400 + n(4) * 86_400 + n(5) * 3600 + n(6) * 60 + n(7);
}

/**
 * Longest period a reported duration may cover and still be counted as time of the day it is stamped
 * with. A report over a longer period (a term's MinutesOnTask, a month's learning time) is cumulative:
 * crediting it to one day would put weeks of time on that day (docs/MEANING.md, `aggregate_report`).
 */
export const MAX_REPORT_PERIOD_MS = 24 * 3600 * 1000;

const PERIOD_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PERIOD_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Start (or, with `asEnd`, end) of a period bound in ms: an instant, or a date (`2023-02-10`) taken whole. */
function periodBound(value: unknown, asEnd: boolean): number | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  const date = PERIOD_DATE.exec(v);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]) - 1, Number(date[3])];
    const ms = Date.UTC(y, m, d);
    // Date.UTC rolls 2023-02-30 over to March: not a real date.
    if (new Date(ms).getUTCDate() !== d) return null;
    // A date end includes its whole day, so 2023-02-28 → 2023-02-28 is one day.
    return asEnd ? ms + 24 * 3600 * 1000 : ms;
  }
  if (!PERIOD_INSTANT.test(v)) return null;
  // Without an offset both bounds are read alike, so the period's length does not depend on it.
  const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(v) ? v : `${v}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The period from `start` to `end` when both are readable and it is longer than
 * {@link MAX_REPORT_PERIOD_MS}; null otherwise (no period, an unreadable or reversed one, or a day or less).
 */
export function periodOverADay(start: unknown, end: unknown): { start: string; end: string } | null {
  const s = periodBound(start, false);
  const e = periodBound(end, true);
  if (s === null || e === null || e - s <= MAX_REPORT_PERIOD_MS) return null;
  return { start: String(start).trim(), end: String(end).trim() };
}
