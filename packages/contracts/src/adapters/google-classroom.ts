import type { makeNativeEventSchema } from '../native-event';
import { fail, type AdaptResult } from './common';
import {
  activeSecondsFor,
  adaptVendorRow,
  canonicalInstant,
  vendorCell,
  checkVendorDate,
  vendorEventId,
  vendorInstant,
  type RowDecision,
  type RowMeaning,
  type VendorContext,
  type VendorRow,
} from './vendor-rows';

/**
 * Google Classroom usage report (Admin SDK Reports API user usage, as the Ed-Fi Google Classroom
 * extractor writes it): one row per user per report date (`asOfDate`) with the time of the user's
 * last Classroom interaction, last Google sign-in and a post count.
 *
 * A row is a snapshot, not a log. All it proves is that the person interacted with Classroom at
 * `lastInteractionTime`: one event at that instant, adding no time. It cannot say how long, how
 * often, or on which other days they used Classroom; no daily use is derived from it. The same last
 * interaction reported by several snapshots (overlapping files, later report dates) is one event:
 * its id comes from the person and that instant only. The report has no id of its own for an
 * interaction, so the id is a digest of the email and the instant: guessable from them, hence keyed by
 * enrich before it is stored (see `vendorEventId`).
 * Not used: `lastLoginTime` (a sign-in to any Google service, not to Classroom), `numberOfPosts`
 * (a count without times), `name`/`monthDay`/`nameDate` (display fields), `importDate`.
 */

/** The catalog app every row is usage of. */
export const GOOGLE_CLASSROOM_APP_ID = 'google-classroom';

export const GOOGLE_CLASSROOM_USAGE_COLUMNS = ['email', 'asOfDate', 'lastInteractionTime'] as const;

export const GOOGLE_CLASSROOM_ROW_TABLE = {
  interaction: {
    rows: '`lastInteractionTime` filled',
    meaning: 'the person interacted with Classroom at that instant (active that day; no duration known)',
    outcome: 'event',
    type: 'use',
    time: 'none',
  },
  never: {
    rows: '`lastInteractionTime` empty',
    meaning: 'the account has no Classroom interaction as of the report date',
    outcome: 'skip',
    skip: 'no_classroom_interaction',
  },
} as const satisfies Record<string, RowMeaning>;
export type GoogleClassroomRowKind = keyof typeof GOOGLE_CLASSROOM_ROW_TABLE;

export function classifyGoogleClassroomRow(row: VendorRow): GoogleClassroomRowKind {
  return vendorCell(row, 'lastInteractionTime') !== undefined ? 'interaction' : 'never';
}

const FIELD_MAP = { occurred_at: 'lastInteractionTime', user: 'email' };

function decide(row: VendorRow, now: Date): RowDecision {
  const kind = classifyGoogleClassroomRow(row);
  const meaning: RowMeaning = GOOGLE_CLASSROOM_ROW_TABLE[kind];
  const email = vendorCell(row, 'email');
  if (email === undefined) fail('missing_identifier', 'email', 'is missing');
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) fail('invalid_field', 'email', 'is not an email address');
  // The report date must be readable even though only the interaction time is used: a row without
  // it is not a usage-report row.
  checkVendorDate(vendorCell(row, 'asOfDate'), 'asOfDate');
  if (kind === 'never') return { outcome: 'skip', meaning, message: 'no Classroom interaction reported' };
  const occurredAt = vendorInstant(vendorCell(row, 'lastInteractionTime'), 'lastInteractionTime', now);
  const active = activeSecondsFor(meaning, {});
  return {
    outcome: 'event',
    meaning,
    event: {
      event_id: vendorEventId('google-classroom', [email.toLowerCase(), canonicalInstant(occurredAt)]),
      occurred_at: occurredAt,
      user: { email },
      app: { app_id: GOOGLE_CLASSROOM_APP_ID },
      ...(active !== undefined ? { active_seconds: active } : {}),
    },
  };
}

/** One usage-report row → exactly one event, skip or rejection (with the line). Never throws. */
export function adaptGoogleClassroomUsageRow(
  row: VendorRow,
  ctx: VendorContext,
  schema?: ReturnType<typeof makeNativeEventSchema>,
): AdaptResult {
  return adaptVendorRow(row, ctx, FIELD_MAP, decide, schema);
}
