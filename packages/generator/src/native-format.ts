import type { EventType } from '@edusage/contracts';
import { truncatedLine } from './malformation';
import type { Rng } from './rng';
import type { Malformation, MalformedReason, TruthEvent } from './types';

/** How a native event names its app: by catalog id, by domain, or by the URL visited. */
export interface NativeAppRef {
  app_id?: string;
  domain?: string;
  url?: string;
}

/** The fields of one native v1 event, before it is written (or broken). */
export interface NativeEventFields {
  eventId: string;
  occurredAt: string;
  districtId: string;
  source: 'agent' | 'extension';
  type: EventType;
  user: TruthEvent['user'];
  app: NativeAppRef;
  activeSeconds: number | null;
  classId: string | null;
  clientIp: string;
}

/** One native line as written, and what (if anything) was broken in it. */
export interface NativeLine {
  text: string;
  malformed: Malformation | null;
}

/** The JSON body of a native event; key order is the order on the wire. */
export function nativeBody(f: NativeEventFields): Record<string, unknown> {
  const body: Record<string, unknown> = {
    event_id: f.eventId,
    occurred_at: f.occurredAt,
    district_id: f.districtId,
    source: f.source,
    type: f.type,
    user: f.user,
    app: f.app,
  };
  if (f.activeSeconds !== null) body['active_seconds'] = f.activeSeconds;
  if (f.classId !== null) body['class_id'] = f.classId;
  body['client_ip'] = f.clientIp;
  return body;
}

/**
 * Writes the body as one line, broken as `reason` says. `futureOccurredAt` is only called for a
 * `future_timestamp`, so the zone lookup it may need is paid for malformed lines only.
 */
export function renderNativeLine(
  body: Record<string, unknown>,
  reason: MalformedReason | null,
  activeSeconds: number | null,
  rng: Rng,
  futureOccurredAt: () => string,
): NativeLine {
  switch (reason) {
    case null:
      return { text: JSON.stringify(body), malformed: null };
    case 'not_json':
      return { text: truncatedLine(JSON.stringify(body), rng, 10), malformed: { reason, field: null } };
    default: {
      const malformed = breakNativeBody(body, reason, activeSeconds, rng, futureOccurredAt);
      return { text: JSON.stringify(body), malformed };
    }
  }
}

/** Breaks one field of a still-parseable body in place; the field named is the zod path the adapter reports. */
function breakNativeBody(
  body: Record<string, unknown>,
  reason: MalformedReason,
  activeSeconds: number | null,
  rng: Rng,
  futureOccurredAt: () => string,
): Malformation {
  switch (reason) {
    case 'wrong_type':
      body['active_seconds'] = String(activeSeconds ?? 60);
      return { reason, field: 'active_seconds' };
    case 'missing_user':
      body['user'] = {};
      return { reason, field: 'user' };
    case 'negative_duration':
      body['active_seconds'] = -(activeSeconds ?? rng.int(30, 300));
      return { reason, field: 'active_seconds' };
    case 'future_timestamp':
      body['occurred_at'] = futureOccurredAt();
      return { reason, field: 'occurred_at' };
    default:
      throw new Error(`unexpected native malformation ${reason}`);
  }
}
