import type { NativeEvent } from '@edusage/contracts';
import { attributeClass, attributeSchool, campusOf } from '../enrich/enrich';
import type { RosterIndex } from '../roster/roster-index';

/** A usage_events row as ClickHouse returns it (JSONEachRow; 64-bit integers quoted). */
export interface StoredEventRow {
  district_id: string;
  local_date: string;
  occurred_at: string;
  school_id: string;
  class_id: string;
  class_attribution: 'none' | 'explicit' | 'inferred';
  person_id: string;
  person_resolved: number;
  role: string;
  app_id: string;
  app_resolved: number;
  app_domain: string;
  source: string;
  event_type: string;
  campus: 'unknown' | 'on' | 'off';
  explicit_seconds: number;
  counts_minute: number;
  event_id: string;
  dedup_key: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  stored_at: string;
}

/**
 * The row as enrich would have written it had `roster` been loaded when the event arrived: who
 * (person, role), class, school and campus are attributed again from the raw event with the rules of
 * `enrichEvent`; everything else (app, times, identity, Kafka coordinates) is the stored row's, since
 * it does not depend on the roster. Null when the roster still does not know the sender.
 */
export function reviseRow(row: StoredEventRow, raw: NativeEvent, roster: RosterIndex): StoredEventRow | null {
  const person = roster.findPerson(raw.user);
  if (!person) return null;
  const cls = attributeClass(raw, person, roster, row.app_id, row.local_date);
  return {
    ...row,
    person_id: person.personId,
    person_resolved: 1,
    role: person.role,
    class_id: cls.class_id ?? '',
    class_attribution: cls.class_attribution,
    school_id: attributeSchool(raw, cls.class_id, person, roster, row.local_date) ?? '',
    campus: campusOf(raw.client_ip, roster),
  };
}
