import { z } from 'zod';
import { EVENT_TYPES, SOURCES } from './native-event';

export const ROLES = ['student', 'teacher', 'administrator', 'aide', 'guardian', 'other', 'unknown'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What enrich writes to `usage.enriched`. No names, emails or raw person ids: the person is the
 * keyed-HMAC pseudonym `person_id`. Everything the rollups need is decided here, once.
 */
export const enrichedEventSchema = z.object({
  v: z.literal(1),
  /** Keyed digest of district, source, sender identifier and event_id: copies of an event share it. */
  dedup_key: z.string().regex(/^[0-9a-f]{32}$/),
  /**
   * Keyed digest (32 hex, HMAC under PSEUDONYM_KEY: `enrichedEventId` of @edusage/enrich) of district,
   * source and the event_id the event was sent with; never the sent id, which may be derived from
   * personal data. Any string is accepted: messages enriched before this rule carry the sent id.
   */
  event_id: z.string(),
  occurred_at: z.string(),
  /** The district's local calendar day (IANA zone of the district), YYYY-MM-DD. */
  local_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  district_id: z.string(),
  school_id: z.string().nullable(),
  class_id: z.string().nullable(),
  class_attribution: z.enum(['explicit', 'inferred', 'none']),
  person_id: z.string().regex(/^[0-9a-f]{32}$/),
  person_resolved: z.boolean(),
  role: z.enum(ROLES),
  app_id: z.string(),
  app_resolved: z.boolean(),
  app_domain: z.string().nullable(),
  source: z.enum(SOURCES),
  type: z.enum(EVENT_TYPES),
  campus: z.enum(['on', 'off', 'unknown']),
  /** Explicit duration carried by the event (active_seconds, MinutesOnTask, session time). */
  explicit_seconds: z.number().int().min(0).max(86_400),
  /** Hit-style event: counts 60 s per distinct person × app × minute instead of a duration. */
  counts_minute: z.boolean(),
  /** Where the raw event sat, for audit. */
  raw: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }),
  enriched_at: z.string(),
});
export type EnrichedEvent = z.infer<typeof enrichedEventSchema>;
