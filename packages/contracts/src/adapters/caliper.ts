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
  emptyResult,
  fail,
  finalizeFound,
  guard,
  internalErrorResult,
  isIri,
  isObject,
  lastIriSegment,
  normalizeInstant,
  parseJsonPayload,
  periodOverADay,
  type AdaptResult,
  type AdapterContext,
  type IdMapping,
  type SkipOutcome,
} from './common';
import { CALIPER_PERIOD_REPORT, caliperMeaning } from '../meaning/caliper-meaning';
import type { TimeRule, Whose } from '../meaning/types';

/**
 * IMS Caliper 1.0 / 1.1 / 1.2 → native events, following the meaning table in
 * `../meaning/caliper-meaning.ts` (rendered in docs/MEANING.md): each (type, action) pair says the
 * native type, whose usage it is, and how it adds time; grading is a documented skip. An action the
 * table does not know for a known type is `unsupported_event` at `action`, an unknown type
 * `unsupported_event` at `type` (with `otherEvents: 'use'`: `use` when the actor is a Person).
 *
 * Entities (an item without `action`, `actor` or `eventTime` whose type does not end in "Event") are
 * valid Caliper but not usage: inside an Envelope they are skipped (`caliper_entity`, counted in
 * `skipped`), because sensors legitimately send entity "describe" envelopes and these must not flood
 * the DLQ; a bare entity posted on its own is rejected (`unsupported_event`, field `type`).
 */
export interface CaliperContext extends AdapterContext {
  /** Source written into the events (default `caliper`). */
  source?: Source;
  /** Actor IRI → person identifier. Default `{ kind: 'iri_last_segment' }` (→ `sourced_id`). */
  actorMapping?: IdMapping;
  /**
   * `group` (CourseSection) IRI → `class_id`. Default: the same kind as `actorMapping`. A group the
   * mapping cannot take is ignored (class context is optional; enrich may still infer it).
   */
  groupMapping?: IdMapping;
  /** What to do with event types other than the supported ones (default `reject`). */
  otherEvents?: 'reject' | 'use';
}

const PERSON_TYPES = new Set(['Person']);
const APP_TYPES = new Set(['SoftwareApplication']);
const GROUP_TYPES = new Set(['CourseSection', 'CourseOffering', 'Group', 'Organization']);
const MEMBERSHIP_TYPES = new Set(['Membership']);
const SESSION_TYPES = new Set(['Session', 'LtiSession']);

const FIELD_MAP: Record<string, string> = {
  event_id: 'id',
  occurred_at: 'eventTime',
  user: 'actor',
  app: 'edApp',
  class_id: 'group',
  active_seconds: 'generated',
};

/**
 * Adapts a Caliper payload: a single event, an Envelope `{sensor, sendTime, dataVersion, data: [...]}`,
 * a JSON array of events, or the same as JSON text (bad text → `malformed_json`). Never throws.
 * Rejections carry the item's position in `data` (`index`) and the field relative to that item.
 */
export function adaptCaliper(payload: unknown, ctx: CaliperContext): AdaptResult {
  try {
    let value = payload;
    if (typeof payload === 'string') {
      const parsed = parseJsonPayload(payload);
      if (!parsed.ok) return { events: [], rejects: [{ reason: parsed.reason, payload }], skipped: [] };
      value = parsed.value;
    }
    const result = emptyResult();
    const schema = makeNativeEventSchema(ctx.now);
    let items: unknown[];
    let inEnvelope = false;
    if (Array.isArray(value)) {
      items = value;
      inEnvelope = true;
    } else if (
      isObject(value) &&
      'data' in value &&
      ('sensor' in value || 'sendTime' in value || 'dataVersion' in value)
    ) {
      if (!Array.isArray(value['data'])) {
        return {
          events: [],
          rejects: [
            { reason: { code: 'invalid_field', field: 'data', message: 'data: must be an array' }, payload: value },
          ],
          skipped: [],
        };
      }
      items = value['data'];
      inEnvelope = true;
    } else {
      items = [value];
    }
    items.forEach((item, i) => {
      const index = inEnvelope ? i : undefined;
      const out = guard(item, index, undefined, () => adaptOne(item, ctx, schema, inEnvelope));
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

function typeName(o: Record<string, unknown>): string | undefined {
  const t = o['type'] ?? o['@type'];
  return typeof t === 'string' && t.trim() ? lastIriSegment(t.trim()) : undefined;
}

function idOf(o: Record<string, unknown>): unknown {
  return o['id'] ?? o['@id'];
}

/** IRI of an entity that may be thinned to a plain IRI string; checks the entity type when given. */
function entityIri(value: unknown, field: string, allowed: Set<string> | null, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) fail('missing_identifier', field, 'is missing');
    return undefined;
  }
  if (typeof value === 'string') {
    if (!isIri(value.trim())) fail('invalid_field', field, 'must be an IRI or an entity object');
    return value.trim();
  }
  if (!isObject(value)) fail('invalid_field', field, 'must be an IRI or an entity object');
  const t = typeName(value);
  if (allowed && t !== undefined && !allowed.has(t)) {
    fail('invalid_field', `${field}.type`, `must be one of ${[...allowed].join(', ')}, not ${t}`);
  }
  const id = idOf(value);
  if (id === undefined || id === null) {
    if (required) fail('missing_identifier', `${field}.id`, 'is missing');
    return undefined;
  }
  if (!isIri(id)) fail('invalid_field', `${field}.id`, 'must be an IRI');
  return id.trim();
}

function isCaliperContext(ctxValue: unknown): boolean {
  const list = Array.isArray(ctxValue) ? ctxValue : [ctxValue];
  return list.some((c) => typeof c === 'string' && /^https?:\/\/purl\.imsglobal\.org\/ctx\/caliper\//.test(c));
}

/** What a (type, action) pair means for one event: the native type, whose usage it is, how it adds time. */
interface EventMeaning {
  type: EventType;
  whose: Whose;
  time: TimeRule;
}

/**
 * One Caliper event → a native event or a skip. The steps run in the order of the checks, so the first
 * check that fails decides the rejection.
 */
function adaptOne(
  item: unknown,
  ctx: CaliperContext,
  schema: ReturnType<typeof makeNativeEventSchema>,
  inEnvelope: boolean,
): NativeEvent | SkipOutcome {
  if (!isObject(item)) fail('invalid_field', undefined, 'Caliper event must be a JSON object');
  if ('@context' in item && item['@context'] !== undefined && !isCaliperContext(item['@context'])) {
    fail('invalid_field', '@context', 'is not an IMS Caliper context');
  }
  const type = eventType(item, inEnvelope);
  if (typeof type !== 'string') return type;
  const meaning = eventMeaning(item, type, ctx);
  if ('skip' in meaning) return meaning;
  const actorMapping = ctx.actorMapping ?? { kind: 'iri_last_segment' };
  const user = personUser(item, meaning.whose, actorMapping);
  const occurredAt = normalizeInstant(item['eventTime'], 'eventTime', ctx.now ?? new Date());
  const eventId = caliperEventId(item);
  const app = eventApp(item, ctx.appIds);
  // Class context is ignored when the mapping cannot take it.
  const classId = groupClassId(item['group'], ctx, actorMapping);
  checkSessionEntities(item);
  // Only rows whose time is a duration read one (ToolUseEvent MinutesOnTask).
  const measured = meaning.time === 'duration_or_minute' ? minutesOnTask(item['generated']) : undefined;
  if (measured?.period) return periodReport(type, measured.minutes, measured.period);
  const activeSeconds = measured?.seconds;

  return finalizeFound(
    { eventId, occurredAt, type: meaning.type, user, app, activeSeconds, classId },
    ctx,
    'caliper',
    schema,
    FIELD_MAP,
  );
}

/**
 * The item's type (last IRI segment). An entity (neither an "…Event" type nor event fields) is
 * skipped inside an envelope, where sensors send entity "describe" data, and rejected on its own.
 */
function eventType(item: Record<string, unknown>, inEnvelope: boolean): string | SkipOutcome {
  const rawType = item['type'] ?? item['@type'];
  const type = typeName(item);
  const eventLike = 'action' in item || 'actor' in item || 'eventTime' in item;
  if (type === undefined)
    fail('invalid_field', 'type', rawType === undefined || rawType === null ? 'is missing' : 'must be a string');
  if (!type.endsWith('Event') && !eventLike) {
    if (inEnvelope)
      return { skip: 'caliper_entity', message: `Caliper entity ${type} describes data and is not an event` };
    fail('unsupported_event', 'type', `${type} is a Caliper entity, not an event`);
  }
  return type;
}

/**
 * The meaning-table row for the event's (type, action), with the fields the row requires present.
 * A pair the table does not know is `use` under `otherEvents: 'use'`, else rejected.
 */
function eventMeaning(item: Record<string, unknown>, type: string, ctx: CaliperContext): EventMeaning | SkipOutcome {
  const rawAction = item['action'];
  if (!(typeof rawAction === 'string' && rawAction.trim())) fail('invalid_field', 'action', 'is missing');
  const action = lastIriSegment(rawAction.trim());
  const row = caliperMeaning(type, action);
  if (typeof row !== 'string') {
    if (row.outcome.kind === 'skip') return { skip: row.outcome.code, message: `${type} ${action}: ${row.why}` };
    if (row.outcome.kind === 'reject') fail(row.outcome.code, row.outcome.field, `${type} ${action}: ${row.why}`);
    for (const f of row.requires ?? []) {
      if (item[f] === undefined || item[f] === null) fail('invalid_field', f, `is required for a ${type}`);
    }
    return { type: row.outcome.type, whose: row.whose, time: row.time };
  }
  if (ctx.otherEvents === 'use' && type.endsWith('Event')) return { type: 'use', whose: 'actor', time: 'minute' };
  if (row === 'unknown_action') fail('unsupported_event', 'action', `${type} ${action} is not supported`);
  fail('unsupported_event', 'type', `${type} is not a supported Caliper event type`);
}

/**
 * Where the person is, and the field that names it: the actor when it is a Person. A session time-out
 * is reported by the application, so for a session-user row the person is the session's user.
 */
function personEntity(item: Record<string, unknown>, whose: Whose): { field: string; value: unknown } {
  const actor = item['actor'];
  if (actor === undefined || actor === null) fail('missing_identifier', 'actor', 'is missing');
  const actorType = isObject(actor) ? typeName(actor) : undefined;
  if (actorType === undefined || PERSON_TYPES.has(actorType)) return { field: 'actor', value: actor };
  const obj = item['object'];
  const sessionUser = isObject(obj) ? (obj['user'] ?? obj['actor']) : undefined;
  if (whose !== 'session_user' || sessionUser === undefined || sessionUser === null) {
    fail('unsupported_event', 'actor.type', `actor is a ${actorType}, not a Person`);
  }
  return { field: isObject(obj) && obj['user'] !== undefined ? 'object.user' : 'object.actor', value: sessionUser };
}

/** The native user: the person's IRI through the actor mapping; an IRI the mapping cannot take is rejected. */
function personUser(item: Record<string, unknown>, whose: Whose, actorMapping: IdMapping): Record<string, string> {
  const person = personEntity(item, whose);
  const iri = entityIri(person.value, person.field, PERSON_TYPES, true)!;
  const mapped = applyIdMapping(iri, actorMapping);
  if (!mapped)
    fail(
      'invalid_field',
      typeof person.value === 'string' ? person.field : `${person.field}.id`,
      'does not match the configured actor mapping',
    );
  return { [mapped.target]: mapped.value };
}

/** The event's own id when it fits (at most 256 characters), else one derived from its content. */
function caliperEventId(item: Record<string, unknown>): string {
  const rawId = idOf(item);
  if (rawId !== undefined && rawId !== null && !(typeof rawId === 'string' && rawId.trim())) {
    fail('invalid_field', 'id', 'must be a string');
  }
  return typeof rawId === 'string' && rawId.trim().length > 0 && rawId.trim().length <= 256
    ? rawId.trim()
    : contentEventId(item);
}

/**
 * Which app: edApp, else the object (for ToolUse and Session events the object is the application).
 * The object's IRI is kept as the URL when it is an http(s) page, else the app keeps what identified it.
 */
function eventApp(item: Record<string, unknown>, appIds: CaliperContext['appIds']): ReturnType<typeof appFromIris> {
  const edAppIri = entityIri(item['edApp'], 'edApp', APP_TYPES, false);
  const objectValue = item['object'];
  const objectIsSession = isObject(objectValue) && SESSION_TYPES.has(typeName(objectValue) ?? '');
  const objectIri = entityIri(objectValue, 'object', null, false);
  const app = appFromIris([edAppIri, objectIsSession ? undefined : objectIri], appIds);
  if (!app.app_id && !app.domain && !app.url) {
    fail(
      'missing_identifier',
      item['edApp'] === undefined ? 'edApp' : 'edApp.id',
      'names no usable application (no IRI host, no catalog match)',
    );
  }
  if (objectIri && /^https?:\/\//i.test(objectIri) && !objectIsSession && objectIri.length <= 8192) app.url = objectIri;
  return app;
}

/** Membership and sessions carry nothing the native event keeps; they are only type-checked. */
function checkSessionEntities(item: Record<string, unknown>): void {
  entityIri(item['membership'], 'membership', MEMBERSHIP_TYPES, false);
  entityIri(item['session'], 'session', SESSION_TYPES, false);
  entityIri(item['federatedSession'], 'federatedSession', SESSION_TYPES, false);
}

function groupClassId(group: unknown, ctx: CaliperContext, actorMapping: IdMapping): string | undefined {
  if (group === undefined || group === null) return undefined;
  let section: unknown = group;
  // Caliper 1.0 sends a Group whose parent (subOrganizationOf) is the CourseSection.
  if (isObject(group) && typeName(group) === 'Group') {
    const parent = group['subOrganizationOf'];
    section = isObject(parent) && typeName(parent) === 'CourseSection' ? parent : undefined;
  }
  const iri = entityIri(group, 'group', GROUP_TYPES, false);
  if (section === undefined || iri === undefined) return undefined;
  if (isObject(section) && typeName(section) !== undefined && typeName(section) !== 'CourseSection') return undefined;
  const sectionIri = isObject(section) ? idOf(section) : section;
  if (!isIri(sectionIri)) return undefined;
  const mapping: IdMapping = ctx.groupMapping ?? { ...actorMapping, target: 'sourced_id' };
  return applyIdMapping(sectionIri, mapping)?.value;
}

interface MinutesOnTask {
  seconds: number;
  minutes: number;
  /** The measure's own window (startedAtTime → endedAtTime) when it is longer than one day. */
  period: { start: string; end: string } | null;
}

/** The skip of a MinutesOnTask measured over more than a day (the `aggregate_report` shape of the table). */
function periodReport(type: string, minutes: number, period: { start: string; end: string }): SkipOutcome {
  return {
    skip: CALIPER_PERIOD_REPORT.outcome.code,
    message: `${type}: MinutesOnTask ${minutes} is measured from ${period.start} to ${period.end}, more than one day: a cumulative report, not activity at eventTime`,
  };
}

/**
 * MinutesOnTask × 60 (rounded to whole seconds) from a ToolUseEvent's `generated` measure(s), with the
 * measure's window when it covers more than a day.
 */
function minutesOnTask(generated: unknown): MinutesOnTask | undefined {
  if (!isObject(generated)) return undefined;
  const gtype = typeName(generated);
  const measures: Array<{ m: unknown; field: string }> =
    gtype === 'AggregateMeasure'
      ? [{ m: generated, field: 'generated' }]
      : Array.isArray(generated['items'])
        ? (generated['items'] as unknown[]).map((m, i) => ({ m, field: `generated.items.${i}` }))
        : [];
  for (const { m, field } of measures) {
    if (!isObject(m) || m['metric'] !== 'MinutesOnTask') continue;
    const v = m['metricValue'];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      fail('invalid_field', `${field}.metricValue`, 'MinutesOnTask must be a non-negative number');
    }
    const seconds = Math.round(v * 60);
    // A total over more than a day may exceed 24 hours; it is skipped, not counted, so not refused.
    const period = periodOverADay(m['startedAtTime'], m['endedAtTime']);
    if (seconds > MAX_ACTIVE_SECONDS && !period) {
      fail('invalid_field', `${field}.metricValue`, `MinutesOnTask ${v} is more than 24 hours`);
    }
    return { seconds, minutes: v, period };
  }
  return undefined;
}
