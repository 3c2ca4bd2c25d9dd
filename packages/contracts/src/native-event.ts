import { z } from 'zod';
import { isIP } from 'node:net';

/** Upper bound for any single duration: nobody is active for more than a day in one event. */
export const MAX_ACTIVE_SECONDS = 86_400;
/** Events stamped further than this in the future are refused as clock errors. */
export const MAX_FUTURE_SKEW_MS = 24 * 3600 * 1000;
/** Events older than this are refused as absurd (a school year plus margin is well inside). */
export const MAX_AGE_MS = 5 * 366 * 24 * 3600 * 1000;

export const SOURCES = ['agent', 'extension', 'proxy', 'sso', 'caliper', 'xapi', 'import'] as const;
export const EVENT_TYPES = ['use', 'page_view', 'heartbeat', 'login', 'logout'] as const;
export type Source = (typeof SOURCES)[number];
export type EventType = (typeof EVENT_TYPES)[number];

const id = z.string().trim().min(1).max(256);

/** Domain name as accepted in `app.domain` (lower case, at least two labels, optional final dot). */
export const DOMAIN_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+\.?$/;

/** The ISO 8601 instant shape we accept: date, time, optional fraction, and a mandatory offset or Z. */
export const ISO_INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * ISO 8601 instant with an explicit offset or Z (structure only). The "not absurdly old / not in the
 * future" bounds depend on a clock, so they live in {@link checkTimeBounds} and
 * {@link makeNativeEventSchema}: replays and tests can then supply their own `now`.
 */
export const occurredAtSchema = z
  .string()
  .refine((s) => ISO_INSTANT_RE.test(s), {
    message: 'must be an ISO 8601 date-time with a time zone offset',
  })
  .refine((s) => isRealInstant(s), { message: 'is not a real date-time' });

const INSTANT_FIELDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days of a month of the proleptic Gregorian calendar (month 1–12). */
function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * True when the date and time fields exist (no 30 February, no 25:00) and the whole string parses.
 * Runs two or three times an event (ingest, enrich): no arrays or Date objects built (half the time).
 */
export function isRealInstant(s: string): boolean {
  const m = INSTANT_FIELDS.exec(s);
  if (m === null || Number.isNaN(Date.parse(s))) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(Number(m[1]), month) &&
    Number(m[4]) <= 23 &&
    Number(m[5]) <= 59 &&
    second <= 60
  );
}

/**
 * Checks an occurred_at value against the clock `now`: at most 24 h in the future (clock errors) and
 * at most 5 years in the past. Returns the problem as a message, or null when it is within bounds.
 */
export function checkTimeBounds(occurredAt: string, now: Date = new Date()): string | null {
  const t = Date.parse(occurredAt);
  if (Number.isNaN(t) || !isRealInstant(occurredAt)) return 'is not a real date-time';
  if (t > now.getTime() + MAX_FUTURE_SKEW_MS) return 'is more than 24 hours in the future';
  if (t < now.getTime() - MAX_AGE_MS) return 'is more than 5 years in the past';
  return null;
}

export const userRefSchema = z
  .object({
    sourced_id: id.optional(),
    email: z.string().trim().min(3).max(320).optional(),
    username: id.optional(),
    device_id: id.optional(),
  })
  .refine((u) => u.sourced_id ?? u.email ?? u.username ?? u.device_id, {
    message: 'needs at least one of sourced_id, email, username, device_id',
    params: { code: 'missing_identifier' },
  });

/**
 * A URL as the pipeline keeps it: scheme, host and path. The query string and fragment (session
 * tokens, search terms, emails) and any `user:password@` are removed here, in the schema every
 * adapter's event passes before it is produced to `usage.raw`; the catalog needs the host, the
 * meaning rules (proxy asset paths) read the path before this.
 */
export function withoutQueryOrFragment(url: string): string {
  const cut = url.search(/[?#]/);
  const base = cut >= 0 ? url.slice(0, cut) : url;
  return base.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i, '$1');
}

export const appRefSchema = z
  .object({
    /** An id that is a URL (some sources send one) is cut like `url`. */
    app_id: id.transform((v) => (v.includes('://') ? withoutQueryOrFragment(v) : v)).optional(),
    domain: z.string().trim().toLowerCase().regex(DOMAIN_RE, 'must be a domain name').max(253).optional(),
    url: z.string().trim().max(8192).transform(withoutQueryOrFragment).optional(),
  })
  .refine((a) => a.app_id ?? a.domain ?? a.url, {
    message: 'needs at least one of app_id, domain, url',
    params: { code: 'missing_identifier' },
  });

/**
 * Native usage event v1: the public interface agents and custom sources send (BRIEF section 4).
 * Structural validation only: the clock-dependent bounds of `occurred_at` are checked by
 * {@link makeNativeEventSchema} (what ingest and the adapters use) or {@link checkTimeBounds}.
 * Downstream stages (enrich re-reading `usage.raw`, replays from the DLQ) use this structural schema,
 * because an event that was fresh when ingested must not turn invalid as it ages.
 */
export const nativeEventSchema = z.object({
  event_id: id,
  occurred_at: occurredAtSchema,
  district_id: id,
  source: z.enum(SOURCES),
  type: z.enum(EVENT_TYPES),
  user: userRefSchema,
  app: appRefSchema,
  active_seconds: z.number().finite().min(0).max(MAX_ACTIVE_SECONDS).optional(),
  class_id: id.optional(),
  school_id: id.optional(),
  client_ip: z
    .string()
    .trim()
    .refine((ip) => isIP(ip) !== 0, { message: 'must be an IPv4 or IPv6 address' })
    .optional(),
});

export type NativeEvent = z.infer<typeof nativeEventSchema>;

/**
 * The native event schema plus the time bounds of `occurred_at` measured against `now`
 * (default: the current time at each parse). Issues name the field `occurred_at`.
 */
export function makeNativeEventSchema(now?: Date | (() => Date)) {
  const clock = typeof now === 'function' ? now : () => now ?? new Date();
  return nativeEventSchema.superRefine((event, ctx) => {
    const problem = checkTimeBounds(event.occurred_at, clock());
    if (problem !== null) {
      ctx.addIssue({ code: 'custom', path: ['occurred_at'], message: problem, input: event.occurred_at });
    }
  });
}
export type UserRef = z.infer<typeof userRefSchema>;
export type AppRef = z.infer<typeof appRefSchema>;

/** The identifier that keys a person's events to one partition (order per person holds). */
export function userPartitionKey(event: Pick<NativeEvent, 'district_id' | 'user'>): string {
  const u = event.user;
  return `${event.district_id}|${u.sourced_id ?? u.email?.toLowerCase() ?? u.username ?? u.device_id ?? ''}`;
}
