import {
  MAX_ACTIVE_SECONDS,
  makeNativeEventSchema,
  type EventType,
  type NativeEvent,
  type Source,
} from '../native-event';
import {
  appFromIris,
  applyIdMapping,
  contentEventId,
  domainOf,
  emptyResult,
  fail,
  finalizeFound,
  guard,
  internalErrorResult,
  isObject,
  lookupAppId,
  nonEmptyString,
  normalizeInstant,
  parseIsoDuration,
  parseJsonPayload,
  periodOverADay,
  type AdaptResult,
  type AdapterContext,
  type IdMapping,
  type SkipOutcome,
} from './common';
import {
  CMI5_SESSION_EXTENSION,
  PERIOD_END_WORDS,
  PERIOD_START_WORDS,
  statementShape,
  verbWord,
  XAPI_OTHER_VERB,
  xapiShape,
  xapiVerbMeaning,
  type XapiVerbRow,
} from '../meaning/xapi-meaning';
import type { TimeRule } from '../meaning/types';

/**
 * xAPI 1.0.3 / 2.0 statements → native events, following the meaning table in
 * `../meaning/xapi-meaning.ts` (rendered in docs/MEANING.md): the verb (last segment of `verb.id`,
 * case-insensitive; `ctx.verbTypes` overrides by full IRI) decides the native type, whether the
 * statement is usage at all (grading, plans, voiding, enrolment and LMS records are documented skips)
 * and how it adds time; inside a cmi5 session only the closing statement's duration counts.
 */
export interface XapiContext extends AdapterContext {
  /** Source written into the events (default `xapi`). */
  source?: Source;
  /** `actor.account.name` → person id. Default `{ kind: 'whole', target: 'sourced_id' }`. */
  accountMapping?: IdMapping;
  /**
   * Regex over the ids of `context.contextActivities.grouping` and `parent`: the first capture group
   * of the first match is the `class_id`. No pattern, no class.
   */
  classPattern?: string;
  /** Verb IRI → native type or `reject`, checked before the built-in rules. */
  verbTypes?: Record<string, EventType | 'reject'>;
  /**
   * The time the statement was received (the LRS "stored" time). Used as `occurred_at` for a statement
   * that has neither `timestamp` nor `stored`, as xAPI §2.4.7 prescribes for an LRS. Without it such a
   * statement is rejected naming `timestamp`.
   */
  receivedAt?: Date;
  /** App for statements whose IRIs name no usable host (e.g. one LRS feed = one app). */
  defaultApp?: { app_id?: string; domain?: string };
}

const FIELD_MAP: Record<string, string> = {
  event_id: 'id',
  occurred_at: 'timestamp',
  user: 'actor',
  'user.email': 'actor.mbox',
  app: 'object.id',
  active_seconds: 'result.duration',
  class_id: 'context.contextActivities',
};

/**
 * Adapts one statement, a JSON array of statements, or the same as JSON text (bad text →
 * `malformed_json`; a duplicated key, which JSON.parse would silently drop, → `invalid_field` naming
 * it, as xAPI requires). Pass the raw body text when you have it. Never throws; rejections carry the
 * statement's `index` in an array.
 *
 * A JSON object with none of `actor`, `verb`, `object` (e.g. a bare `context` or `result` fragment) is
 * not a statement: `unsupported_event` naming `actor`.
 */
export function adaptXapi(payload: unknown, ctx: XapiContext): AdaptResult {
  try {
    let value = payload;
    if (typeof payload === 'string') {
      const parsed = parseJsonPayload(payload, { rejectDuplicateKeys: true });
      if (!parsed.ok) return { events: [], rejects: [{ reason: parsed.reason, payload }], skipped: [] };
      value = parsed.value;
    }
    const result = emptyResult();
    const schema = makeNativeEventSchema(ctx.now);
    const isArray = Array.isArray(value);
    const items = isArray ? (value as unknown[]) : [value];
    items.forEach((item, i) => {
      const index = isArray ? i : undefined;
      const out = guard(item, index, undefined, () => adaptStatement(item, ctx, schema));
      if (!out.ok) result.rejects.push(out.rejection);
      else if ('skip' in out.value) {
        result.skipped.push({
          reason: out.value.skip,
          message: out.value.message,
          ...(index !== undefined ? { index } : {}),
        });
      } else result.events.push(out.value);
    });
    return result;
  } catch (err) {
    return internalErrorResult(payload, err);
  }
}

/** The meaning row for a verb: a `ctx.verbTypes` override, else the table. */
function verbRow(verbId: string, overrides: XapiContext['verbTypes']): XapiVerbRow | 'reject' {
  const o = overrides?.[verbId];
  if (o === 'reject') return 'reject';
  if (!o) return xapiVerbMeaning(verbId);
  const time = o === 'login' || o === 'logout' ? 'none' : 'duration_or_minute';
  return {
    ...XAPI_OTHER_VERB,
    outcome: { kind: 'event', type: o },
    time,
    inCmi5Session: { outcome: { kind: 'event', type: o }, time: 'none' },
    why: 'configured by verbTypes',
  };
}

/**
 * What the statement means (docs/MEANING.md): its verb's row (inside a cmi5 session, the row's
 * session meaning), unless the verb is not usage or a shape rule (course status, SubStatement) applies.
 */
function statementMeaning(
  verbId: string,
  row: XapiVerbRow,
  object: Record<string, unknown>,
  context: Record<string, unknown>,
): SkipOutcome | { type: EventType; time: TimeRule } {
  const meaning = inCmi5Session(context) ? row.inCmi5Session : row;
  if (meaning.outcome.kind === 'skip') return { skip: meaning.outcome.code, message: `${verbId}: ${row.why}` };
  if (meaning.outcome.kind === 'reject') fail(meaning.outcome.code, meaning.outcome.field, `${verbId}: ${row.why}`);
  const shape = statementShape(verbId, object);
  if (shape?.outcome.kind === 'skip') return { skip: shape.outcome.code, message: `${verbId}: ${shape.why}` };
  return { type: meaning.outcome.type, time: meaning.time };
}

/** A statement of a cmi5 AU session: it carries the cmi5 session id context extension. */
function inCmi5Session(context: Record<string, unknown>): boolean {
  const ext = context['extensions'];
  return isObject(ext) && nonEmptyString(ext[CMI5_SESSION_EXTENSION]);
}

/** `active_seconds` for a native type under a time rule (0 = active, but no time of its own). */
function activeSecondsFor(type: EventType, time: TimeRule, duration: number | undefined): number | undefined {
  if (type === 'login' || type === 'logout') return undefined;
  switch (time) {
    case 'duration_or_minute':
      return duration;
    case 'duration_only':
      return duration ?? 0;
    case 'none':
      return 0;
    case 'minute':
      return undefined;
  }
}

function asList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function activityIds(v: unknown): string[] {
  return asList(v)
    .map((a) => (isObject(a) && nonEmptyString(a['id']) ? a['id'].trim() : undefined))
    .filter((x): x is string => x !== undefined);
}

function actorUser(actor: unknown, ctx: XapiContext): Record<string, string> {
  if (actor === undefined || actor === null) fail('missing_identifier', 'actor', 'is missing');
  if (!isObject(actor)) fail('invalid_field', 'actor', 'must be an Agent object');
  const objectType = actor['objectType'];
  const group = xapiShape('group_actor');
  if (objectType === 'Group' && group.outcome.kind === 'reject')
    fail(group.outcome.code, group.outcome.field, group.why);
  if (objectType !== undefined && objectType !== 'Agent') fail('invalid_field', 'actor.objectType', 'must be Agent');
  const account = actor['account'];
  if (account !== undefined) {
    if (!isObject(account)) fail('invalid_field', 'actor.account', 'must be an object');
    const name = account['name'];
    if (!nonEmptyString(name)) fail('missing_identifier', 'actor.account.name', 'is missing');
    const mapped = applyIdMapping(name, ctx.accountMapping ?? { kind: 'whole', target: 'sourced_id' });
    if (!mapped) fail('invalid_field', 'actor.account.name', 'does not match the configured account mapping');
    return { [mapped.target]: mapped.value };
  }
  const mbox = actor['mbox'];
  if (mbox !== undefined) {
    if (!(typeof mbox === 'string' && /^mailto:[^\s@]+@[^\s@]+$/i.test(mbox.trim()))) {
      fail('invalid_field', 'actor.mbox', 'must be a mailto: IRI');
    }
    return { email: mbox.trim().slice('mailto:'.length) };
  }
  const sha1 = actor['mbox_sha1sum'];
  if (sha1 !== undefined) {
    if (!(typeof sha1 === 'string' && /^[0-9a-f]{40}$/i.test(sha1.trim()))) {
      fail('invalid_field', 'actor.mbox_sha1sum', 'must be a SHA-1 hex digest');
    }
    return { username: sha1.trim().toLowerCase() };
  }
  const openid = actor['openid'];
  if (openid !== undefined) {
    if (!nonEmptyString(openid)) fail('invalid_field', 'actor.openid', 'must be a URI');
    return { username: openid.trim() };
  }
  fail('missing_identifier', 'actor', 'has no inverse functional identifier (account, mbox, mbox_sha1sum, openid)');
}

/**
 * One xAPI statement → a native event or a skip. The steps run in the order of the checks, so the first
 * check that fails decides the rejection.
 */
function adaptStatement(
  item: unknown,
  ctx: XapiContext,
  schema: ReturnType<typeof makeNativeEventSchema>,
): NativeEvent | SkipOutcome {
  assertStatement(item);
  const user = actorUser(item['actor'], ctx);
  const verb = statementVerb(item['verb'], ctx.verbTypes);
  const object = statementObject(item['object']);
  const context = isObject(item['context']) ? item['context'] : {};
  const meaning = statementMeaning(verb.id, verb.row, object, context);
  if ('skip' in meaning) return meaning;
  const report = periodReport(verb.id, item['result'], context);
  if (report) return report;
  const { type, time } = meaning;
  const activityIri = activityIriOf(object);
  const related = relatedActivityIds(context);
  const app = statementApp(item, activityIri, related, ctx);
  const occurredAt = statementTime(item, ctx);
  const eventId = statementEventId(item);
  const activeSeconds = activeSecondsFor(type, time, resultDuration(item['result']));
  const classId = classIdFrom([...related.groupingIds, ...related.parentIds], ctx.classPattern);

  return finalizeFound(
    { eventId, occurredAt, type, user, app, activeSeconds, classId },
    ctx,
    'xapi',
    schema,
    FIELD_MAP,
  );
}

/** A statement is a JSON object with at least one of actor, verb, object (not a context or result fragment). */
function assertStatement(item: unknown): asserts item is Record<string, unknown> {
  if (!isObject(item)) fail('invalid_field', undefined, 'xAPI statement must be a JSON object');
  if (!('actor' in item) && !('verb' in item) && !('object' in item)) {
    fail(
      'unsupported_event',
      'actor',
      'not an xAPI statement (no actor, verb or object; a context or result fragment?)',
    );
  }
}

/** The verb IRI (`verb.id`, trimmed) and its meaning row; a verb configured as `reject` is rejected. */
function statementVerb(verb: unknown, overrides: XapiContext['verbTypes']): { id: string; row: XapiVerbRow } {
  if (verb === undefined || verb === null) fail('invalid_field', 'verb', 'is missing');
  if (!isObject(verb)) fail('invalid_field', 'verb', 'must be an object');
  if (!nonEmptyString(verb['id'])) fail('invalid_field', 'verb.id', 'is missing');
  const id = verb['id'].trim();
  const row = verbRow(id, overrides);
  if (row === 'reject') fail('unsupported_event', 'verb.id', `${id}: this verb is configured to be rejected`);
  return { id, row };
}

/** The statement's object, which every statement must have. */
function statementObject(object: unknown): Record<string, unknown> {
  if (object === undefined || object === null) fail('invalid_field', 'object', 'is missing');
  if (!isObject(object)) fail('invalid_field', 'object', 'must be an object');
  return object;
}

/** The activity the object names (objectType defaults to Activity); Agents, Groups and StatementRefs name none. */
function activityIriOf(object: Record<string, unknown>): string | undefined {
  const objectType = object['objectType'] ?? 'Activity';
  if (objectType === 'Activity') {
    if (!nonEmptyString(object['id'])) fail('missing_identifier', 'object.id', 'is missing');
    return object['id'].trim();
  }
  if (objectType === 'StatementRef') {
    if (!nonEmptyString(object['id'])) fail('invalid_field', 'object.id', 'a StatementRef needs the id of a statement');
    return undefined;
  }
  if (objectType === 'Agent' || objectType === 'Group') return undefined;
  // Non-standard activity-like types (Open edX sends `GroupActivity`): use the id when it is an IRI.
  if (typeof object['id'] === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(object['id'])) return object['id'].trim();
  fail('invalid_field', 'object.objectType', `unknown objectType ${String(objectType)}`);
}

/** Ids of the statement's parent and grouping context activities (course, section, ...). */
function relatedActivityIds(context: Record<string, unknown>): { parentIds: string[]; groupingIds: string[] } {
  const contextActivities = isObject(context['contextActivities']) ? context['contextActivities'] : {};
  return {
    parentIds: activityIds(contextActivities['parent']),
    groupingIds: activityIds(contextActivities['grouping']),
  };
}

/**
 * Hosts of vocabulary and profile namespaces (docs/MEANING.md "The app"). An IRI there names a concept
 * that any vendor may use (`http://adlnet.gov/expapi/activities/course`, a profile's activities), not
 * the app the learner used: taken as the app, every vendor using it would merge into one app
 * (`domain:adlnet.gov`). Matched on the whole host, with or without `www.`.
 */
export const XAPI_VOCABULARY_HOSTS: readonly string[] = [
  'adlnet.gov',
  'w3id.org',
  'id.tincanapi.com',
  'purl.org',
  'xapi.vocab.pub',
  'activitystrea.ms',
  'purl.imsglobal.org',
];
const VOCABULARY_HOSTS = new Set(XAPI_VOCABULARY_HOSTS);

function isVocabularyIri(iri: string): boolean {
  const host = domainOf(iri)?.replace(/^www\./, '');
  return host !== undefined && VOCABULARY_HOSTS.has(host);
}

/**
 * The app: the first usable of the activity, its parents, groupings and the actor's account home page,
 * passing over IRIs in vocabulary namespaces. A district's hint (`appIds`) still applies to every IRI.
 */
function statementApp(
  item: Record<string, unknown>,
  activityIri: string | undefined,
  related: { parentIds: string[]; groupingIds: string[] },
  ctx: XapiContext,
): ReturnType<typeof appFromIris> {
  // actorUser has accepted the actor, so it is an object here.
  const actor = item['actor'] as Record<string, unknown>;
  const homePage =
    isObject(actor['account']) && nonEmptyString(actor['account']['homePage'])
      ? actor['account']['homePage']
      : undefined;
  const candidates = [activityIri, ...related.parentIds, ...related.groupingIds, homePage].filter(
    (c): c is string => c !== undefined && c.length > 0,
  );
  const usable = candidates.filter((c) => !isVocabularyIri(c));
  const { app_id: defaultId, ...where } = appFromIris(usable, undefined, ctx.defaultApp);
  const appId = lookupAppId(candidates, ctx.appIds) ?? defaultId;
  const app = { ...(appId !== undefined ? { app_id: appId } : {}), ...where };
  if (!app.app_id && !app.domain && !app.url) {
    const skipped =
      usable.length < candidates.length
        ? '; IRIs in vocabulary namespaces such as adlnet.gov or w3id.org name no app'
        : '';
    fail(
      'missing_identifier',
      activityIri ? 'object.id' : 'object',
      `names no usable application (no http(s) activity IRI, no catalog match, no default app${skipped})`,
    );
  }
  return app;
}

/** When: timestamp, else stored, else the receipt time given by the caller (xAPI §2.4.7). */
function statementTime(item: Record<string, unknown>, ctx: XapiContext): string {
  const now = ctx.now ?? new Date();
  if (item['timestamp'] !== undefined && item['timestamp'] !== null)
    return normalizeInstant(item['timestamp'], 'timestamp', now);
  if (item['stored'] !== undefined && item['stored'] !== null) return normalizeInstant(item['stored'], 'stored', now);
  if (ctx.receivedAt) return normalizeInstant(ctx.receivedAt.toISOString(), 'timestamp', now);
  fail('invalid_field', 'timestamp', 'is missing (and there is no stored time)');
}

/** The statement's own id when it fits (at most 256 characters), else one derived from its content. */
function statementEventId(item: Record<string, unknown>): string {
  const rawId = item['id'];
  if (rawId !== undefined && rawId !== null && !nonEmptyString(rawId)) fail('invalid_field', 'id', 'must be a string');
  return nonEmptyString(rawId) && rawId.trim().length <= 256 ? rawId.trim() : contentEventId(item);
}

/**
 * The `period_report` shape (docs/MEANING.md): a duration reported for a period longer than a day, given
 * by a start and an end extension in `context.extensions` or `result.extensions`, is a cumulative report.
 * A malformed duration is still rejected as anywhere else.
 */
function periodReport(verbId: string, result: unknown, context: Record<string, unknown>): SkipOutcome | null {
  if (!isObject(result) || result['duration'] === undefined || result['duration'] === null) return null;
  for (const extensions of [context['extensions'], result['extensions']]) {
    if (!isObject(extensions)) continue;
    let start: unknown;
    let end: unknown;
    for (const [iri, value] of Object.entries(extensions)) {
      const word = verbWord(iri).replace(/[-_]/g, '');
      if (PERIOD_START_WORDS.includes(word)) start ??= value;
      else if (PERIOD_END_WORDS.includes(word)) end ??= value;
    }
    const period = periodOverADay(start, end);
    const shape = xapiShape('period_report');
    if (!period || shape.outcome.kind !== 'skip') continue;
    // The format is checked; not the 24-hour bound, since a total over a period may exceed it.
    const d = result['duration'];
    if (typeof d !== 'string' || parseIsoDuration(d) === null)
      fail('invalid_field', 'result.duration', 'must be an ISO 8601 duration');
    return {
      skip: shape.outcome.code,
      message: `${verbId}: result.duration ${String(result['duration'])} is reported for ${period.start} to ${period.end}, more than one day: a cumulative report, not activity at its timestamp`,
    };
  }
  return null;
}

/** `result.duration` in whole seconds (undefined when there is none), at most 24 hours. */
function resultDuration(result: unknown): number | undefined {
  if (!isObject(result) || result['duration'] === undefined || result['duration'] === null) return undefined;
  const d = result['duration'];
  const seconds = typeof d === 'string' ? parseIsoDuration(d) : null;
  if (seconds === null) fail('invalid_field', 'result.duration', 'must be an ISO 8601 duration');
  if (seconds > MAX_ACTIVE_SECONDS) fail('invalid_field', 'result.duration', `${d} is more than 24 hours`);
  return Math.round(seconds);
}

/** `class_id`: the first capture group (or the whole match) of `classPattern` over the first id it matches. */
function classIdFrom(ids: string[], classPattern: string | undefined): string | undefined {
  if (!classPattern) return undefined;
  const re = new RegExp(classPattern);
  for (const id of ids) {
    const m = re.exec(id);
    const c = m?.[1] ?? (m && m.length === 1 ? m[0] : undefined);
    if (c && c.trim()) return c.trim();
  }
  return undefined;
}
