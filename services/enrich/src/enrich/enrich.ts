import type { EnrichedEvent, NativeEvent, RawMessage } from '@edusage/contracts';
import type { AppCatalog } from '../catalog/catalog';
import { enrollmentActiveOn, schoolOn, type IndexedPerson, type RosterIndex } from '../roster/roster-index';
import { dedupKey, enrichedEventId, unresolvedPersonId } from './pseudonym';
import { localDate } from './time';

/** Everything enrichment needs to know about one district, held in memory. */
export interface DistrictView {
  districtId: string;
  timeZone: string;
  /** Null when the district has no roster loaded: every person is then unresolved. */
  roster: RosterIndex | null;
  catalog: AppCatalog;
  /** Pseudonyms of people erased at the district's request: their events are dropped (`people erase`). */
  erased?: ReadonlySet<string>;
}

export interface RawPosition {
  topic: string;
  partition: number;
  offset: string;
}

const HIT_TYPES = new Set<NativeEvent['type']>(['page_view', 'heartbeat', 'use']);

/**
 * Engaged-time fields (docs/ARCHITECTURE.md "Metric rules"):
 * - login/logout: no time (explicit 0, counts_minute false);
 * - an event with a duration (`active_seconds`): explicit_seconds = round(active_seconds), no minute;
 * - page_view, heartbeat, and use without a duration: counts_minute (60 s per person × app × minute).
 * A page_view or heartbeat that carries a duration counts that duration only, so one event never
 * adds both a duration and a minute.
 */
export function engagedTime(event: Pick<NativeEvent, 'type' | 'active_seconds'>): {
  explicit_seconds: number;
  counts_minute: boolean;
} {
  if (event.type === 'login' || event.type === 'logout') return { explicit_seconds: 0, counts_minute: false };
  if (event.active_seconds !== undefined) {
    return {
      explicit_seconds: Math.min(86_400, Math.max(0, Math.round(event.active_seconds))),
      counts_minute: false,
    };
  }
  return { explicit_seconds: 0, counts_minute: HIT_TYPES.has(event.type) };
}

/**
 * Class attribution: explicit class if it exists in the roster; else the one class the person is
 * actively enrolled in on the event's local day (`enrollmentActiveOn`: the enrollment's dates, else its
 * class's term dates; end exclusive) whose course uses the app; else none.
 */
export function attributeClass(
  event: Pick<NativeEvent, 'class_id'>,
  person: IndexedPerson | null,
  roster: RosterIndex | null,
  appId: string,
  day: string,
): {
  class_id: string | null;
  class_attribution: EnrichedEvent['class_attribution'];
} {
  const explicit = event.class_id?.trim();
  if (explicit && roster?.hasClass(explicit)) return { class_id: explicit, class_attribution: 'explicit' };
  if (person) {
    let found: string | null = null;
    for (const e of person.enrollments) {
      if (!enrollmentActiveOn(e, day) || !e.apps.includes(appId)) continue;
      if (found === null) found = e.classId;
      else if (found !== e.classId) return { class_id: null, class_attribution: 'none' };
    }
    if (found !== null) return { class_id: found, class_attribution: 'inferred' };
  }
  return { class_id: null, class_attribution: 'none' };
}

/**
 * School: event school_id if known; else the attributed class's school; else the person's school on the
 * event's local day (`schoolOn`: of the enrollments active that day, else of their own orgs).
 */
export function attributeSchool(
  event: Pick<NativeEvent, 'school_id'>,
  classId: string | null,
  person: IndexedPerson | null,
  roster: RosterIndex | null,
  day: string,
): string | null {
  const given = event.school_id?.trim();
  if (given && roster?.hasOrg(given)) return given;
  if (classId && roster) {
    const school = roster.classes.get(classId)?.schoolId;
    if (school) return school;
  }
  return person ? schoolOn(person, day) : null;
}

export function campusOf(clientIp: string | undefined, roster: RosterIndex | null): EnrichedEvent['campus'] {
  if (!clientIp || !roster || roster.networks.size === 0) return 'unknown';
  return roster.networks.match(clientIp) !== null ? 'on' : 'off';
}

/**
 * Turns one validated raw message into the enriched event (pure apart from HMAC/hash computation).
 * The output holds no name, email, username, device id, raw person id or sent event_id (only its
 * keyed digest, `enrichedEventId`).
 */
export function enrichEvent(
  raw: RawMessage,
  position: RawPosition,
  view: DistrictView,
  pseudonymKey: string,
  enrichedAt: string,
): EnrichedEvent {
  const ev = raw.event;
  const district = ev.district_id;
  const roster = view.roster;
  const person = roster ? roster.findPerson(ev.user) : null;
  const personId = person ? person.personId : unresolvedPersonId(pseudonymKey, district, ev.user);
  const app = view.catalog.resolve(ev.app);
  const day = localDate(Date.parse(ev.occurred_at), view.timeZone);
  const cls = attributeClass(ev, person, roster, app.app_id, day);
  const time = engagedTime(ev);
  return {
    v: 1,
    dedup_key: dedupKey(pseudonymKey, district, ev.source, ev.user, ev.event_id),
    // Keyed: the sent id may be a digest of personal data (vendor adapters) or anything a sender chose.
    event_id: enrichedEventId(pseudonymKey, district, ev.source, ev.event_id),
    occurred_at: ev.occurred_at,
    local_date: day,
    district_id: district,
    school_id: attributeSchool(ev, cls.class_id, person, roster, day),
    class_id: cls.class_id,
    class_attribution: cls.class_attribution,
    person_id: personId,
    person_resolved: person !== null,
    role: person ? person.role : 'unknown',
    app_id: app.app_id,
    app_resolved: app.app_resolved,
    app_domain: app.app_domain,
    source: ev.source,
    type: ev.type,
    campus: campusOf(ev.client_ip, roster),
    explicit_seconds: time.explicit_seconds,
    counts_minute: time.counts_minute,
    raw: {
      topic: position.topic,
      partition: position.partition,
      offset: position.offset,
    },
    enriched_at: enrichedAt,
  };
}
