import { isRealInstant, makeNativeEventSchema, type EventType, type NativeEvent, type Source } from '../native-event';
import {
  emptyResult,
  fail,
  finalize,
  guard,
  normalizeInstant,
  sha256Hex,
  type AdaptResult,
  type AdapterContext,
  type Skip,
} from './common';

/**
 * Shared pieces of the vendor usage-export adapters (Schoology, Ed-Fi LMS, Google Classroom).
 * These exports are CSV files; the caller parses the CSV (ingest streams it with csv-parse) and
 * hands each record here with its line number. Each adapter follows a documented table of what a
 * row means (docs/MEANING.md "Vendor usage exports"); the table is code, so tests walk it.
 */

/** One CSV record: header name → cell text, and the 1-based line where the record starts. */
export interface VendorRow {
  line: number;
  record: Readonly<Record<string, string | undefined>>;
}

/** How a row adds engaged time (docs/ARCHITECTURE.md "Metric rules"). */
export type VendorTimeRule =
  /** `active_seconds` = the row's seconds column. */
  | 'explicit_seconds'
  /** `active_seconds` = the row's minutes column × 60. */
  | 'explicit_minutes'
  /** no duration: a hit, counted as its person × app × minute (60 s once per minute). */
  | 'one_minute'
  /** the person is active, no time is added (login/logout, or `use` with `active_seconds` 0). */
  | 'none';

/** One line of an adapter's meaning table. */
export interface RowMeaning {
  /** Which rows this is, in the export's own terms. */
  rows: string;
  /** What happened, in plain words. */
  meaning: string;
  /** `event`: becomes one native event; `skip`: valid, no usage (counted by `skip` code). */
  outcome: 'event' | 'skip';
  type?: EventType;
  time?: VendorTimeRule;
  /** Skip reason code for `outcome: 'skip'`. */
  skip?: string;
}

export interface VendorContext extends AdapterContext {
  /** Source written into the events (the import's --source; default `import`). */
  source?: Source;
}

/** A cell's trimmed text; empty cells and missing columns are undefined. */
export function vendorCell(row: VendorRow, column: string): string | undefined {
  const v = row.record[column];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** Columns of `required` the header lacks (exact, case-sensitive names as the vendor writes them). */
export function missingColumns(header: readonly string[], required: readonly string[]): string[] {
  const have = new Set(header.map((h) => h.replace(/^\uFEFF/, '').trim()));
  return required.filter((c) => !have.has(c));
}

const NAIVE_RE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)$/;

/**
 * A vendor timestamp as the native `occurred_at`. The exports write `2020-11-04 17:28:43.097`
 * without an offset; these are UTC (the Ed-Fi extractor's Schoology ids carry the same instant as
 * epoch seconds, and Google's API returns UTC). A value with an offset or Z is taken as written.
 */
export function vendorInstant(value: string | undefined, field: string, now: Date): string {
  if (value === undefined) fail('invalid_field', field, 'is missing');
  const m = NAIVE_RE.exec(value);
  return normalizeInstant(m ? `${m[1]}T${m[2]}` : value, field, now);
}

/** The same instant always written the same way (`2020-11-04T17:28:43.097Z`): for event identities. */
export function canonicalInstant(occurredAt: string): string {
  return new Date(occurredAt).toISOString();
}

/** A vendor date (`2020-09-03`) or date-time without bounds; rejected naming `field` when unreadable. */
export function checkVendorDate(value: string | undefined, field: string): void {
  if (value === undefined) fail('invalid_field', field, 'is missing');
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (!m || !isRealInstant(`${m[1]}T${m[2] ?? '00:00'}${m[3] ?? 'Z'}`)) fail('invalid_field', field, 'is not a date');
}

/**
 * Deterministic event id from the columns that identify one action: the same action in a
 * re-downloaded or overlapping export gets the same id, whatever its line (so re-imports deduplicate;
 * changing what goes in would count events imported before the change a second time). Prefer the
 * vendor's own id of the action when the export has one (Ed-Fi: SourceSystemIdentifier).
 * The digest is unkeyed (ingest has no PSEUDONYM_KEY), so an id made of personal data (an email and an
 * instant) can be confirmed by anyone who guesses them: it only stands beside those same identifiers
 * on `usage.raw` and `usage.dlq`. It is never stored as is: enrich writes a keyed digest of it as the
 * enriched `event_id` (`enrichedEventId`, services/enrich), so ClickHouse holds nothing it can be
 * matched against.
 */
export function vendorEventId(prefix: string, identity: readonly string[]): string {
  return `${prefix}:${sha256Hex(identity.join('\u001f'))}`;
}

/** `active_seconds` for a time rule (undefined: the event carries no duration). */
export function activeSecondsFor(
  meaning: RowMeaning,
  amount: { seconds?: number; minutes?: number },
): number | undefined {
  switch (meaning.time) {
    case 'explicit_seconds':
      return amount.seconds;
    case 'explicit_minutes':
      return amount.minutes === undefined ? undefined : amount.minutes * 60;
    case 'none':
      // login/logout add no time by type; a `use` that must add none carries an explicit 0.
      return meaning.type === 'login' || meaning.type === 'logout' ? undefined : 0;
    default:
      return undefined;
  }
}

/**
 * A non-negative number of `unit`s from a cell (`undefined` when empty); anything else, or
 * more than a day, is rejected naming the column.
 */
export function durationCell(row: VendorRow, column: string, unit: 'seconds' | 'minutes'): number | undefined {
  const v = vendorCell(row, column);
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) fail('invalid_field', column, `must be a number of ${unit}, got "${v.slice(0, 40)}"`);
  const n = Number(v);
  const max = unit === 'seconds' ? 86_400 : 1_440;
  if (n > max) fail('invalid_field', column, `${n} ${unit} is more than a day`);
  return n;
}

/** What a row-level adapter decides before the event is built. */
export type RowDecision =
  | { outcome: 'skip'; meaning: RowMeaning; message: string }
  | { outcome: 'event'; meaning: RowMeaning; event: Omit<NativeEvent, 'district_id' | 'source' | 'type'> };

/**
 * Runs one row through `decide` and turns the decision into an {@link AdaptResult} with exactly one
 * entry: an event (validated with the native schema; issues reported under the vendor's column
 * names via `fieldMap`), a skip, or a rejection carrying the line. Never throws.
 */
export function adaptVendorRow(
  row: VendorRow,
  ctx: VendorContext,
  fieldMap: Record<string, string>,
  decide: (row: VendorRow, now: Date) => RowDecision,
  schema = makeNativeEventSchema(ctx.now),
): AdaptResult {
  const result = emptyResult();
  const out = guard<NativeEvent | Skip>(row.record, row.line, row.line, () => {
    const d = decide(row, ctx.now ?? new Date());
    if (d.outcome === 'skip') return { reason: d.meaning.skip ?? 'no_usage', message: d.message, line: row.line };
    return finalize(
      { ...d.event, district_id: ctx.districtId, source: ctx.source ?? 'import', type: d.meaning.type },
      schema,
      fieldMap,
    );
  });
  if (!out.ok) {
    out.rejection.reason.line = row.line;
    out.rejection.reason.message = `line ${row.line}: ${out.rejection.reason.message}`;
    out.rejection.index = row.line;
    result.rejects.push(out.rejection);
  } else if ('event_id' in out.value) result.events.push(out.value);
  else result.skipped.push(out.value);
  return result;
}
