import { createHash } from 'node:crypto';
import { isCalendarDay } from '@edusage/clickhouse';
import { storableReason, type DeadLetter, type EnrichedEvent } from '@edusage/contracts';
import { BoundedMap } from '@edusage/runtime';
import { PermanentError } from './errors';

/** Where a message sat in Kafka. Offsets are decimal strings (they can exceed 2^53). */
export interface KafkaCoordinates {
  topic: string;
  partition: number;
  offset: string;
}

/** Days already found storable (a batch's events share a few days): bounded, forgotten when full. */
const STORABLE_DAYS_KEPT = 4096;
const storableDays = new BoundedMap<string, true>(STORABLE_DAYS_KEPT);

/** A real calendar day 'YYYY-MM-DD' that ClickHouse's Date holds (1970–2105). */
export function isStorableDay(day: string): boolean {
  if (storableDays.has(day)) return true;
  // A claim read back may lack the field (claims-malformed.test): checked before it is sliced.
  const ok = isCalendarDay(day) && Number(day.slice(0, 4)) >= 1970 && Number(day.slice(0, 4)) <= 2105;
  if (ok) storableDays.set(day, true);
  return ok;
}

const DAY_MS = 86_400_000;
/** DateTime holds 1970-01-01 00:00:00 up to the end of 2105 (UTC). */
const DATETIME_END_MS = Date.UTC(2106, 0, 1);
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** 'YYYY-MM-DD' of UTC days already written (a batch's events share a few): bounded. */
const utcDays = new BoundedMap<number, string>(STORABLE_DAYS_KEPT);

/**
 * ClickHouse 18.16 parses DateTime from 'YYYY-MM-DD hh:mm:ss' only (no ISO 'T'/'Z'). A value that is
 * not a time (or outside DateTime's 1970–2105 range) is a PermanentError naming `field`. Written from
 * the milliseconds (the day's text kept), not through a Date and toISOString: this runs once an event.
 */
export function toClickHouseDateTime(iso: string | Date, field = 'date-time'): string {
  const ms = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  if (Number.isNaN(ms) || ms < 0 || ms >= DATETIME_END_MS) {
    throw new PermanentError(`${field} is not a storable date-time: ${JSON.stringify(String(iso))}`, field);
  }
  const day = Math.floor(ms / DAY_MS);
  let date = utcDays.get(day);
  if (date === undefined) {
    date = utcDays.set(day, new Date(day * DAY_MS).toISOString().slice(0, 10));
  }
  const second = Math.floor((ms - day * DAY_MS) / 1000);
  return `${date} ${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor(second / 60) % 60]}:${TWO_DIGITS[second % 60]}`;
}

/** A calendar day 'YYYY-MM-DD' that ClickHouse's Date holds (1970–2105), else a PermanentError naming `field`. */
function toClickHouseDate(day: string, field: string): string {
  if (!isStorableDay(day)) {
    throw new PermanentError(`${field} is not a storable calendar day: ${JSON.stringify(day)}`, field);
  }
  return day;
}

export interface UsageEventRow {
  district_id: string;
  local_date: string;
  occurred_at: string;
  school_id: string;
  class_id: string;
  class_attribution: EnrichedEvent['class_attribution'];
  person_id: string;
  person_resolved: number;
  role: string;
  app_id: string;
  app_resolved: number;
  app_domain: string;
  source: string;
  event_type: string;
  campus: EnrichedEvent['campus'];
  explicit_seconds: number;
  counts_minute: number;
  event_id: string;
  dedup_key: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  stored_at: string;
}

/** One `usage_events` row; '' stands for "none" in school_id/class_id (ClickHouse keys are not Nullable). */
export function usageEventRow(event: EnrichedEvent, at: KafkaCoordinates, storedAt: string): UsageEventRow {
  return {
    district_id: event.district_id,
    local_date: toClickHouseDate(event.local_date, 'local_date'),
    occurred_at: toClickHouseDateTime(event.occurred_at, 'occurred_at'),
    school_id: event.school_id ?? '',
    class_id: event.class_id ?? '',
    class_attribution: event.class_attribution,
    person_id: event.person_id,
    person_resolved: event.person_resolved ? 1 : 0,
    role: event.role,
    app_id: event.app_id,
    app_resolved: event.app_resolved ? 1 : 0,
    app_domain: event.app_domain ?? '',
    source: event.source,
    event_type: event.type,
    campus: event.campus,
    explicit_seconds: event.explicit_seconds,
    counts_minute: event.counts_minute ? 1 : 0,
    event_id: event.event_id,
    dedup_key: event.dedup_key,
    kafka_topic: at.topic,
    kafka_partition: at.partition,
    kafka_offset: at.offset,
    stored_at: storedAt,
  };
}

export interface DeadLetterRow {
  failed_at: string;
  stage: string;
  source: string;
  district_id: string;
  reason_code: string;
  reason_field: string;
  reason_line: number;
  reason_message: string;
  payload_sha256: string;
  payload_bytes: number;
  payload_truncated: number;
  origin: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  stored_at: string;
}

/** A dead letter as stored: reason and origin, but only a digest of the raw payload (privacy). */
export function deadLetterRow(letter: DeadLetter, at: KafkaCoordinates, storedAt: string): DeadLetterRow {
  // Letters of this version already carry a storable reason; older ones (or other producers) may quote input.
  const reason = storableReason(letter.reason, letter.payload);
  return {
    failed_at: toClickHouseDateTime(letter.failed_at, 'failed_at'),
    stage: letter.stage,
    source: letter.source,
    district_id: letter.district_id ?? '',
    reason_code: reason.code,
    reason_field: reason.field ?? '',
    reason_line: reason.line ?? 0,
    reason_message: reason.message,
    payload_sha256: createHash('sha256').update(letter.payload).digest('hex'),
    payload_bytes: Buffer.byteLength(letter.payload),
    payload_truncated: letter.payload_truncated ? 1 : 0,
    origin: letter.origin ?? '',
    kafka_topic: at.topic,
    kafka_partition: at.partition,
    kafka_offset: at.offset,
    stored_at: storedAt,
  };
}

/** The ClickHouse month partition (toYYYYMM) a row lands in: one INSERT per month keeps each INSERT one part. */
export function monthOf(day: string): string {
  return day.slice(0, 7);
}
