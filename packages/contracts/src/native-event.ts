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

/** ISO 8601 instant with an explicit offset or Z, within sane bounds of "now". */
export const occurredAtSchema = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(s), {
    message: 'must be an ISO 8601 date-time with a time zone offset',
  })
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'is not a real date-time' })
  .refine((s) => Date.parse(s) <= Date.now() + MAX_FUTURE_SKEW_MS, {
    message: 'is more than 24 hours in the future',
  })
  .refine((s) => Date.parse(s) >= Date.now() - MAX_AGE_MS, { message: 'is more than 5 years in the past' });

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

export const appRefSchema = z
  .object({
    app_id: id.optional(),
    domain: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+\.?$/, 'must be a domain name')
      .max(253)
      .optional(),
    url: z.string().trim().max(8192).optional(),
  })
  .refine((a) => a.app_id ?? a.domain ?? a.url, {
    message: 'needs at least one of app_id, domain, url',
    params: { code: 'missing_identifier' },
  });

/** Native usage event v1: the public interface agents and custom sources send (BRIEF section 4). */
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
export type UserRef = z.infer<typeof userRefSchema>;
export type AppRef = z.infer<typeof appRefSchema>;

/** The identifier that keys a person's events to one partition (order per person holds). */
export function userPartitionKey(event: Pick<NativeEvent, 'district_id' | 'user'>): string {
  const u = event.user;
  return `${event.district_id}|${u.sourced_id ?? u.email?.toLowerCase() ?? u.username ?? u.device_id ?? ''}`;
}
