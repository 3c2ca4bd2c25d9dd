import type { ClassInfo } from './roster';
import { FUTURE_SHIFT_MS } from './malformation';
import type { Malformation, MalformedReason } from './types';

export const CALIPER_CONTEXT = 'http://purl.imsglobal.org/ctx/caliper/v1p2';

type Json = Record<string, unknown>;

/** What one Caliper event in a session records, with the values drawn for it. */
export type CaliperAction =
  | { kind: 'login' }
  | { kind: 'nav'; url: string }
  | { kind: 'tool'; minutesOnTask: number; collectionId: string; measureId: string };

/** What every event of one Caliper session shares. */
export interface CaliperSessionRefs {
  /** The app's IRI (`https://<host>/`): edApp, and the object of logins and tool use. */
  base: string;
  actorId: string;
  sessionId: string;
  startedAtTime: string;
  /** The class the session is about (a CourseSection), or null when it names none. */
  group: Json | null;
}

/** The CourseSection a Caliper event names as its `group`. */
export function caliperGroup(domain: string, cls: ClassInfo): Json {
  return { id: `https://${domain}/classes/${cls.sourcedId}`, type: 'CourseSection', courseNumber: cls.courseSourcedId };
}

/** One Caliper 1.2 event; key order is the order on the wire. */
export function caliperEventJson(action: CaliperAction, refs: CaliperSessionRefs, id: string, eventTime: string): Json {
  const json: Json = { '@context': CALIPER_CONTEXT, id, ...actionFields(action, refs, eventTime) };
  // A login is about the app, not a class.
  if (refs.group && action.kind !== 'login') json['group'] = refs.group;
  json['session'] = { id: refs.sessionId, type: 'Session', user: refs.actorId, startedAtTime: refs.startedAtTime };
  return json;
}

function actionFields(action: CaliperAction, refs: CaliperSessionRefs, eventTime: string): Json {
  const actor = { id: refs.actorId, type: 'Person' };
  const app = { id: refs.base, type: 'SoftwareApplication' };
  switch (action.kind) {
    case 'login':
      return {
        type: 'SessionEvent',
        profile: 'SessionProfile',
        actor,
        action: 'LoggedIn',
        object: app,
        eventTime,
        edApp: refs.base,
      };
    case 'nav':
      return {
        type: 'NavigationEvent',
        actor,
        action: 'NavigatedTo',
        object: { id: action.url, type: 'WebPage' },
        eventTime,
        edApp: refs.base,
      };
    case 'tool':
      return {
        type: 'ToolUseEvent',
        profile: 'ToolUseProfile',
        actor,
        action: 'Used',
        object: app,
        eventTime,
        edApp: refs.base,
        generated: minutesOnTask(action, refs.startedAtTime, eventTime),
      };
  }
}

/** The ToolUse `generated` collection: one MinutesOnTask measure spanning the session. */
function minutesOnTask(
  action: Extract<CaliperAction, { kind: 'tool' }>,
  startedAtTime: string,
  endedAtTime: string,
): Json {
  return {
    id: action.collectionId,
    type: 'AggregateMeasureCollection',
    items: [
      {
        id: action.measureId,
        type: 'AggregateMeasure',
        metric: 'MinutesOnTask',
        name: 'Minutes On Task',
        metricValue: action.minutesOnTask,
        startedAtTime,
        endedAtTime,
      },
    ],
  };
}

/**
 * Breaks the event in place as `reason` says and names the JSON path that is wrong. A `not_json`
 * event is left whole here: it is cut when its envelope is written.
 */
export function malformCaliperEvent(
  json: Json,
  reason: MalformedReason | null,
  epochMs: number,
  activeSeconds: number | null,
): Malformation | null {
  switch (reason) {
    case null:
      return null;
    case 'not_json':
      return { reason, field: null };
    case 'missing_actor':
      delete json['actor'];
      return { reason, field: 'actor' };
    case 'wrong_type':
      json['eventTime'] = epochMs;
      return { reason, field: 'eventTime' };
    case 'negative_duration': {
      const gen = json['generated'] as { items: Array<Json> };
      gen.items[0]!['metricValue'] = -(activeSeconds! / 60);
      return { reason, field: 'generated.items.0.metricValue' };
    }
    case 'future_timestamp':
      json['eventTime'] = new Date(epochMs + FUTURE_SHIFT_MS).toISOString();
      return { reason, field: 'eventTime' };
    default:
      throw new Error(`unexpected caliper malformation ${reason}`);
  }
}

/** One line of caliper.ndjson: a Caliper Envelope carrying the given events. */
export function caliperEnvelope(sensor: string, sendMs: number, events: Json[]): string {
  return JSON.stringify({
    sensor,
    sendTime: new Date(sendMs).toISOString(),
    dataVersion: CALIPER_CONTEXT,
    data: events,
  });
}
