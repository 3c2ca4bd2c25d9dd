import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import { isValidTimeZone, localDate } from './enrich/time';
import { COMPOSE_PLACEHOLDER_PSEUDONYM_KEY } from './enrich/key-fingerprint';

const timeZone = z.string().trim().refine(isValidTimeZone, {
  message: 'is not an IANA time zone known to this runtime',
});

/** "d1=America/Chicago,d2=America/New_York" → { d1: 'America/Chicago', d2: 'America/New_York' }. */
export const districtTimezonesSchema = z.string().transform((s, ctx) => {
  const out: Record<string, string> = {};
  for (const part of s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    const district = eq > 0 ? part.slice(0, eq).trim() : '';
    const zone = eq > 0 ? part.slice(eq + 1).trim() : '';
    if (!district || !zone) {
      ctx.addIssue({
        code: 'custom',
        message: `"${part}" is not <district>=<IANA zone>`,
      });
      return z.NEVER;
    }
    if (!isValidTimeZone(zone)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${zone}" (district ${district}) is not an IANA time zone`,
      });
      return z.NEVER;
    }
    out[district] = zone;
  }
  return out;
});

/**
 * Which zone each district's days are in: enrich dates events by it, the jobs run per zone, and the API
 * and the license command take "today" in it. One definition for every service that reads them.
 */
export const districtZoneSettings = {
  /** Per-district IANA zones: "d1=America/Chicago,d2=America/New_York". */
  DISTRICT_TIMEZONES: districtTimezonesSchema.default({}),
  DEFAULT_TIMEZONE: timeZone.default('America/Chicago'),
};
export type DistrictZones = { DISTRICT_TIMEZONES: Record<string, string>; DEFAULT_TIMEZONE: string };

/** The district-local day of `now` (YYYY-MM-DD): what "today" means in a district's reports. */
export function districtToday(zones: DistrictZones, districtId: string, now: Date = new Date()): string {
  return localDate(now.getTime(), timeZoneFor(zones, districtId));
}

/** Environment of the enrich worker and its commands (base variables plus these). */
export const enrichConfigSchema = baseConfigSchema.extend({
  /** HMAC key for person pseudonyms. Required, never logged; changing it changes every person_id. */
  PSEUDONYM_KEY: z
    .string()
    .min(16, 'must be at least 16 characters')
    .refine((k) => k !== COMPOSE_PLACEHOLDER_PSEUDONYM_KEY, {
      message:
        'is the public placeholder of docker-compose.yml; set a secret of your own in .env (e.g. `openssl rand -base64 32`) before the first start, and keep it',
    }),
  ...districtZoneSettings,
  ENRICH_GROUP_ID: z.string().min(1).default('edusage-enrich'),
  /** The aggregate's consumer group: `people erase` waits for it to store what was on its way. */
  AGGREGATE_GROUP_ID: z.string().min(1).default('edusage-aggregate'),
  /** How often the worker checks Redis for a new roster or catalog version. */
  ENRICH_RELOAD_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** Most messages enriched and produced in one send (a Kafka batch is cut into chunks of this size). */
  ENRICH_CHUNK_SIZE: z.coerce.number().int().min(1).max(100_000).default(5_000),
  /** Partitions processed concurrently by one worker process. */
  ENRICH_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(2),
  /** A worker silent for this long leaves the group; its partitions move to the others. */
  ENRICH_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
  /** Port of /healthz, /readyz and /metrics (0 = any free port). */
  ENRICH_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  /** Replaced by ENRICH_HTTP_PORT (which serves the probes too): refused, so a setting is never silently lost. */
  ENRICH_METRICS_PORT: z
    .undefined({ error: 'no longer read: set ENRICH_HTTP_PORT (/healthz, /readyz and /metrics) instead' })
    .optional(),
  /** Not ready when, with lag > 0, no batch finished for this long (or one batch runs this long). */
  ENRICH_STALL_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(120_000),
});
export type EnrichConfig = z.infer<typeof enrichConfigSchema>;

export function loadEnrichConfig(env: NodeJS.ProcessEnv = process.env): EnrichConfig {
  return loadConfig(enrichConfigSchema, env);
}

export function timeZoneFor(config: DistrictZones, districtId: string): string {
  return config.DISTRICT_TIMEZONES[districtId] ?? config.DEFAULT_TIMEZONE;
}
