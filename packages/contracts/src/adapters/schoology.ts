import type { makeNativeEventSchema } from '../native-event';
import { fail } from './common';
import type { AdaptResult } from './common';
import {
  activeSecondsFor,
  adaptVendorRow,
  canonicalInstant,
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
 * Schoology "User Activities" export (one row per action of a user on an item, aggregated by
 * Schoology: `event_count` actions, the last at `last_event_timestamp`) → native events.
 * Columns read: see {@link SCHOOLOGY_COLUMNS}; names and building/course names are never read.
 */

/** The catalog app (services/enrich/data/app-catalog.json) every Schoology row is usage of. */
export const SCHOOLOGY_APP_ID = 'schoology';

/** Header columns the adapter needs (the export has 35; the others are ignored). */
export const SCHOOLOGY_COLUMNS = [
  'schoology_user_id',
  'unique_user_id',
  'username',
  'email',
  'action_type',
  'item_type',
  'item_id',
  'last_event_timestamp',
  'time spent (seconds)',
] as const;

/** Actions Schoology writes; anything else is rejected (`unsupported_event`, field `action_type`). */
export const SCHOOLOGY_ACTIONS = ['CREATE', 'READ', 'UPDATE', 'DELETE', 'SUBMIT', 'GRADE'] as const;

/** What each kind of row means. The adapter looks the row up here; docs/MEANING.md shows the same table. */
export const SCHOOLOGY_ROW_TABLE = {
  session_create: {
    rows: 'item_type SESSION, action_type CREATE',
    meaning: 'signed in to Schoology',
    outcome: 'event',
    type: 'login',
    time: 'none',
  },
  session_update: {
    rows: 'item_type SESSION, action_type UPDATE',
    meaning: 'the session was used (Schoology refreshed it on a request)',
    outcome: 'event',
    type: 'heartbeat',
    time: 'one_minute',
  },
  session_delete: {
    rows: 'item_type SESSION, action_type DELETE',
    meaning: 'signed out of Schoology',
    outcome: 'event',
    type: 'logout',
    time: 'none',
  },
  item_timed: {
    rows: 'any other item_type, `time spent (seconds)` filled',
    meaning: 'worked on an item (assignment, discussion, post, …) for the stated seconds',
    outcome: 'event',
    type: 'use',
    time: 'explicit_seconds',
  },
  item_hit: {
    rows: 'any other item_type, `time spent (seconds)` empty',
    meaning: 'acted on an item (read, submitted, created, graded, …), duration unknown',
    outcome: 'event',
    type: 'use',
    time: 'one_minute',
  },
} as const satisfies Record<string, RowMeaning>;
export type SchoologyRowKind = keyof typeof SCHOOLOGY_ROW_TABLE;

const FIELD_MAP = {
  occurred_at: 'last_event_timestamp',
  user: 'unique_user_id',
  'user.email': 'email',
  'user.username': 'username',
  active_seconds: 'time spent (seconds)',
};

/** Which table line a row falls under; rejects unknown actions and SESSION rows of other actions. */
export function classifySchoologyRow(row: VendorRow): SchoologyRowKind {
  const action = vendorCell(row, 'action_type')?.toUpperCase();
  if (action === undefined) fail('invalid_field', 'action_type', 'is missing');
  if (!(SCHOOLOGY_ACTIONS as readonly string[]).includes(action))
    fail('unsupported_event', 'action_type', `"${action.slice(0, 40)}" is not a Schoology action`);
  const itemType = vendorCell(row, 'item_type')?.toUpperCase();
  if (itemType === undefined) fail('invalid_field', 'item_type', 'is missing');
  if (itemType === 'SESSION') {
    if (action === 'CREATE') return 'session_create';
    if (action === 'UPDATE') return 'session_update';
    if (action === 'DELETE') return 'session_delete';
    fail('unsupported_event', 'action_type', `${action} of a SESSION has no known meaning`);
  }
  return vendorCell(row, 'time spent (seconds)') !== undefined ? 'item_timed' : 'item_hit';
}

function decide(row: VendorRow, now: Date): RowDecision {
  const meaning: RowMeaning = SCHOOLOGY_ROW_TABLE[classifySchoologyRow(row)];
  const schoologyUserId = vendorCell(row, 'schoology_user_id');
  if (schoologyUserId === undefined) fail('invalid_field', 'schoology_user_id', 'is missing');
  const occurredAt = vendorInstant(vendorCell(row, 'last_event_timestamp'), 'last_event_timestamp', now);
  // The roster knows a person by the district's id (Schoology's unique_user_id), email and username.
  const sourcedId = vendorCell(row, 'unique_user_id');
  const email = vendorCell(row, 'email');
  const username = vendorCell(row, 'username');
  if (sourcedId === undefined && email === undefined && username === undefined)
    fail('missing_identifier', 'unique_user_id', 'no unique_user_id, email or username');
  const seconds = durationCell(row, 'time spent (seconds)', 'seconds');
  const active = activeSecondsFor(meaning, seconds === undefined ? {} : { seconds });
  return {
    outcome: 'event',
    meaning,
    event: {
      // One action: who (Schoology's own id), what, on which item, and when to the millisecond. The
      // export has no id of its own for an action; the digest is unkeyed, so enrich keys it before it
      // is stored (see `vendorEventId`).
      event_id: vendorEventId('schoology', [
        schoologyUserId,
        vendorCell(row, 'action_type')!.toUpperCase(),
        vendorCell(row, 'item_type')!.toUpperCase(),
        vendorCell(row, 'item_id') ?? '',
        canonicalInstant(occurredAt),
      ]),
      occurred_at: occurredAt,
      user: {
        ...(sourcedId !== undefined ? { sourced_id: sourcedId } : {}),
        ...(email !== undefined ? { email } : {}),
        ...(username !== undefined ? { username } : {}),
      },
      app: { app_id: SCHOOLOGY_APP_ID },
      ...(active !== undefined ? { active_seconds: active } : {}),
    },
  };
}

/** One Schoology export row → exactly one event, skip or rejection (with the line). Never throws. */
export function adaptSchoologyRow(
  row: VendorRow,
  ctx: VendorContext,
  schema?: ReturnType<typeof makeNativeEventSchema>,
): AdaptResult {
  return adaptVendorRow(row, ctx, FIELD_MAP, decide, schema);
}
