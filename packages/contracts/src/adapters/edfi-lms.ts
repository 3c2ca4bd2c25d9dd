import type { makeNativeEventSchema, UserRef } from '../native-event';
import { fail, type AdaptResult } from './common';
import {
  activeSecondsFor,
  adaptVendorRow,
  vendorCell,
  durationCell,
  vendorEventId,
  vendorInstant,
  type RowDecision,
  type RowMeaning,
  type VendorContext,
  type VendorRow,
} from './vendor-rows';

/**
 * Ed-Fi LMS Toolkit unified data model (the extractors for Canvas, Google Classroom and Schoology
 * write the same CSVs): `system-activities` (sign-in/sign-out and other LMS-wide actions) and
 * `section-activities` (actions inside a course section) → native events.
 */

export type EdfiActivityFile = 'system-activities' | 'section-activities';

const COMMON_COLUMNS = [
  'SourceSystemIdentifier',
  'SourceSystem',
  'LMSUserSourceSystemIdentifier',
  'ActivityType',
  'ActivityDateTime',
  'ActivityTimeInMinutes',
] as const;

/** Header columns the adapter needs per file. */
export const EDFI_ACTIVITY_COLUMNS: Record<EdfiActivityFile, readonly string[]> = {
  'system-activities': COMMON_COLUMNS,
  'section-activities': [...COMMON_COLUMNS, 'LMSSectionSourceSystemIdentifier'],
};

/** Header columns of the unified `users` file, which maps LMS user ids to the roster's ids. */
export const EDFI_USERS_COLUMNS = ['SourceSystemIdentifier', 'SourceSystem'] as const;

/**
 * `SourceSystem` → catalog app id (services/enrich/data/app-catalog.json), compared without case,
 * spaces or punctuation. Any other LMS keeps a slug of its name as app_id (`BestLMS` → `bestlms`):
 * enrich flags it unresolved until the district's catalog adds that id.
 */
export const EDFI_SOURCE_SYSTEM_APPS: Record<string, string> = {
  canvas: 'canvas',
  schoology: 'schoology',
  googleclassroom: 'google-classroom',
};

export function edfiAppId(sourceSystem: string): string {
  const key = sourceSystem.toLowerCase().replace(/[^a-z0-9]/g, '');
  const known = EDFI_SOURCE_SYSTEM_APPS[key];
  if (known !== undefined) return known;
  const slug = sourceSystem
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '');
  return slug.length > 0 ? slug.slice(0, 128) : fail('invalid_field', 'SourceSystem', 'has no letters or digits');
}

/** What each kind of row means (both files). docs/MEANING.md shows the same table. */
export const EDFI_ROW_TABLE = {
  timed: {
    rows: '`ActivityTimeInMinutes` filled (any ActivityType)',
    meaning: 'worked in the LMS for the stated minutes',
    outcome: 'event',
    type: 'use',
    time: 'explicit_minutes',
  },
  sign_in: {
    rows: 'ActivityType `sign-in`, no minutes',
    meaning: 'signed in to the LMS',
    outcome: 'event',
    type: 'login',
    time: 'none',
  },
  sign_out: {
    rows: 'ActivityType `sign-out`, no minutes',
    meaning: 'signed out of the LMS',
    outcome: 'event',
    type: 'logout',
    time: 'none',
  },
  hit: {
    rows: 'any other ActivityType, no minutes',
    meaning: 'an action in the LMS, duration unknown',
    outcome: 'event',
    type: 'use',
    time: 'one_minute',
  },
} as const satisfies Record<string, RowMeaning>;
export type EdfiRowKind = keyof typeof EDFI_ROW_TABLE;

export interface EdfiContext extends VendorContext {
  /**
   * The unified `users` file as a map `SourceSystem|SourceSystemIdentifier` → the person as the
   * roster knows them (see {@link edfiUserEntry}). An activity whose user is not in it keeps
   * `username` = `<SourceSystem>:<LMS user id>`, which no roster holds: the person stays unresolved.
   */
  users?: ReadonlyMap<string, UserRef>;
}

export function edfiUserKey(sourceSystem: string, lmsUserId: string): string {
  return `${sourceSystem.toLowerCase()}|${lmsUserId}`;
}

/**
 * One row of the unified `users` file → its map entry: `SISUserIdentifier` (the district's student
 * or staff id = OneRoster sourcedId) → `sourced_id`, `EmailAddress` → `email`,
 * `LocalUserIdentifier` (the LMS login) → `username`. Null when the row has no id or no identifier.
 */
export function edfiUserEntry(record: Readonly<Record<string, string | undefined>>): [string, UserRef] | null {
  const row: VendorRow = { line: 0, record };
  const system = vendorCell(row, 'SourceSystem');
  const lmsId = vendorCell(row, 'SourceSystemIdentifier');
  if (system === undefined || lmsId === undefined) return null;
  const sourcedId = vendorCell(row, 'SISUserIdentifier');
  const email = vendorCell(row, 'EmailAddress');
  const username = vendorCell(row, 'LocalUserIdentifier');
  if (sourcedId === undefined && email === undefined && username === undefined) return null;
  return [
    edfiUserKey(system, lmsId),
    {
      ...(sourcedId !== undefined ? { sourced_id: sourcedId } : {}),
      ...(email !== undefined ? { email } : {}),
      ...(username !== undefined ? { username } : {}),
    },
  ];
}

export function classifyEdfiRow(row: VendorRow): EdfiRowKind {
  if (vendorCell(row, 'ActivityTimeInMinutes') !== undefined) return 'timed';
  const type = vendorCell(row, 'ActivityType')?.toLowerCase();
  if (type === undefined) fail('invalid_field', 'ActivityType', 'is missing');
  if (type === 'sign-in') return 'sign_in';
  if (type === 'sign-out') return 'sign_out';
  return 'hit';
}

const FIELD_MAP = {
  occurred_at: 'ActivityDateTime',
  user: 'LMSUserSourceSystemIdentifier',
  app: 'SourceSystem',
  active_seconds: 'ActivityTimeInMinutes',
};

function decider(file: EdfiActivityFile, users: EdfiContext['users']) {
  return (row: VendorRow, now: Date): RowDecision => {
    const meaning: RowMeaning = EDFI_ROW_TABLE[classifyEdfiRow(row)];
    const system = vendorCell(row, 'SourceSystem');
    if (system === undefined) fail('invalid_field', 'SourceSystem', 'is missing');
    const activityId = vendorCell(row, 'SourceSystemIdentifier');
    if (activityId === undefined) fail('invalid_field', 'SourceSystemIdentifier', 'is missing');
    const lmsUser = vendorCell(row, 'LMSUserSourceSystemIdentifier');
    if (lmsUser === undefined) fail('missing_identifier', 'LMSUserSourceSystemIdentifier', 'is missing');
    if (file === 'section-activities' && vendorCell(row, 'LMSSectionSourceSystemIdentifier') === undefined)
      fail('invalid_field', 'LMSSectionSourceSystemIdentifier', 'is missing');
    const occurredAt = vendorInstant(vendorCell(row, 'ActivityDateTime'), 'ActivityDateTime', now);
    const minutes = durationCell(row, 'ActivityTimeInMinutes', 'minutes');
    const active = activeSecondsFor(meaning, minutes === undefined ? {} : { minutes });
    return {
      outcome: 'event',
      meaning,
      event: {
        // The unified model's own key of an activity: (SourceSystem, SourceSystemIdentifier) per file.
        event_id: vendorEventId(`edfi-${file}`, [system.toLowerCase(), activityId]),
        occurred_at: occurredAt,
        user: users?.get(edfiUserKey(system, lmsUser)) ?? { username: `${system}:${lmsUser}` },
        app: { app_id: edfiAppId(system) },
        ...(active !== undefined ? { active_seconds: active } : {}),
      },
    };
  };
}

/** One row of a unified activities file → exactly one event or rejection (with the line). Never throws. */
export function adaptEdfiActivityRow(
  file: EdfiActivityFile,
  row: VendorRow,
  ctx: EdfiContext,
  schema?: ReturnType<typeof makeNativeEventSchema>,
): AdaptResult {
  return adaptVendorRow(row, ctx, FIELD_MAP, decider(file, ctx.users), schema);
}
