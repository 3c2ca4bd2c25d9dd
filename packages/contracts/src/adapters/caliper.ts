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
  finalize,
  guard,
  internalErrorResult,
  isIri,
  isObject,
  lastIriSegment,
  normalizeInstant,
  parseJsonPayload,
  type AdaptResult,
  type AdapterContext,
  type IdMapping,
  type SkipOutcome,
} from './common';
import { caliperMeaning } from '../meaning/caliper-meaning';
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

  // Event type and action.
  const rawAction = item['action'];
  if (!(typeof rawAction === 'string' && rawAction.trim())) fail('invalid_field', 'action', 'is missing');
  const action = lastIriSegment(rawAction.trim());
  const row = caliperMeaning(type, action);
  let nativeType: EventType;
  let whose: Whose = 'actor';
  let time: TimeRule = 'minute';
  if (typeof row !== 'string') {
    if (row.outcome.kind === 'skip') return { skip: row.outcome.code, message: `${type} ${action}: ${row.why}` };
    if (row.outcome.kind === 'reject') fail(row.outcome.code, row.outcome.field, `${type} ${action}: ${row.why}`);
    for (const f of row.requires ?? []) {
      if (item[f] === undefined || item[f] === null) fail('invalid_field', f, `is required for a ${type}`);
    }
    nativeType = row.outcome.type;
    whose = row.whose;
    time = row.time;
  } else if (ctx.otherEvents === 'use' && type.endsWith('Event')) nativeType = 'use';
  else if (row === 'unknown_action') fail('unsupported_event', 'action', `${type} ${action} is not supported`);
  else fail('unsupported_event', 'type', `${type} is not a supported Caliper event type`);

  // Who. A session time-out is reported by the application; the person is the session's user.
  let actorField = 'actor';
  let actorValue: unknown = item['actor'];
  if (actorValue === undefined || actorValue === null) fail('missing_identifier', 'actor', 'is missing');
  if (isObject(actorValue) && typeName(actorValue) !== undefined && !PERSON_TYPES.has(typeName(actorValue)!)) {
    const obj = item['object'];
    const sessionUser = isObject(obj) ? (obj['user'] ?? obj['actor']) : undefined;
    if (whose === 'session_user' && sessionUser !== undefined && sessionUser !== null) {
      actorValue = sessionUser;
      actorField = isObject(obj) && obj['user'] !== undefined ? 'object.user' : 'object.actor';
    } else {
      fail('unsupported_event', 'actor.type', `actor is a ${typeName(actorValue)}, not a Person`);
    }
  }
  const actorIri = entityIri(actorValue, actorField, PERSON_TYPES, true)!;
  const actorMapping = ctx.actorMapping ?? { kind: 'iri_last_segment' };
  const mapped = applyIdMapping(actorIri, actorMapping);
  if (!mapped)
    fail(
      'invalid_field',
      typeof actorValue === 'string' ? actorField : `${actorField}.id`,
      'does not match the configured actor mapping',
    );

  // When and which.
  const occurredAt = normalizeInstant(item['eventTime'], 'eventTime', ctx.now ?? new Date());
  const rawId = idOf(item);
  if (rawId !== undefined && rawId !== null && !(typeof rawId === 'string' && rawId.trim())) {
    fail('invalid_field', 'id', 'must be a string');
  }
  const eventId =
    typeof rawId === 'string' && rawId.trim().length > 0 && rawId.trim().length <= 256
      ? rawId.trim()
      : contentEventId(item);

  // Which app: edApp, else the object (for ToolUse and Session events the object is the application).
  const edAppIri = entityIri(item['edApp'], 'edApp', APP_TYPES, false);
  const objectValue = item['object'];
  const objectIsSession = isObject(objectValue) && SESSION_TYPES.has(typeName(objectValue) ?? '');
  const objectIri = entityIri(objectValue, 'object', null, false);
  const app = appFromIris([edAppIri, objectIsSession ? undefined : objectIri], ctx.appIds);
  if (!app.app_id && !app.domain && !app.url) {
    fail(
      'missing_identifier',
      item['edApp'] === undefined ? 'edApp' : 'edApp.id',
      'names no usable application (no IRI host, no catalog match)',
    );
  }
  // Keep the resource IRI when it is an http(s) page (object), else what identified the app.
  if (objectIri && /^https?:\/\//i.test(objectIri) && !objectIsSession && objectIri.length <= 8192) app.url = objectIri;

  // Class context (ignored when the mapping cannot take it); membership and session are only type-checked.
  const classId = groupClassId(item['group'], ctx, actorMapping);
  entityIri(item['membership'], 'membership', MEMBERSHIP_TYPES, false);
  entityIri(item['session'], 'session', SESSION_TYPES, false);
  entityIri(item['federatedSession'], 'federatedSession', SESSION_TYPES, false);

  // Only rows whose time is a duration read one (ToolUseEvent MinutesOnTask).
  const activeSeconds = time === 'duration_or_minute' ? minutesOnTask(item['generated']) : undefined;

  return finalize(
    {
      event_id: eventId,
      occurred_at: occurredAt,
      district_id: ctx.districtId,
      source: ctx.source ?? 'caliper',
      type: nativeType,
      user: { [mapped.target]: mapped.value },
      app,
      ...(activeSeconds !== undefined ? { active_seconds: activeSeconds } : {}),
      ...(classId !== undefined ? { class_id: classId } : {}),
    },
    schema,
    FIELD_MAP,
  );
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

/** MinutesOnTask × 60 (rounded to whole seconds) from a ToolUseEvent's `generated` measure(s). */
function minutesOnTask(generated: unknown): number | undefined {
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
    if (seconds > MAX_ACTIVE_SECONDS) {
      fail('invalid_field', `${field}.metricValue`, `MinutesOnTask ${v} is more than 24 hours`);
    }
    return seconds;
  }
  return undefined;
}
