import { makeNativeEventSchema, type NativeEvent, type Source } from '../native-event';
import { reasonFromZod, type Rejection } from '../reject';
import { emptyResult, internalErrorResult, isObject, parseJsonPayload, type AdaptResult } from './common';

export interface NativeContext {
  /** District of the API key / import: filled in when an event has none, refused when it differs. */
  districtId: string;
  /** Source of the API key / import: filled in when an event has none. */
  source?: Source;
  /** Clock for the `occurred_at` bounds (default: now). */
  now?: Date;
}

/** One NDJSON line: its 1-based line number and parsed value. */
export interface NdjsonItem {
  line: number;
  value: unknown;
}

/**
 * Splits NDJSON text into parsed items with their 1-based line numbers. Blank lines are ignored;
 * a line that is not JSON becomes a `malformed_json` rejection carrying its line number and text.
 */
export function parseNdjson(text: string): { items: NdjsonItem[]; rejects: Rejection[] } {
  const items: NdjsonItem[] = [];
  const rejects: Rejection[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const line = i + 1;
    const parsed = parseJsonPayload(raw, { line });
    if (parsed.ok) items.push({ line, value: parsed.value });
    else rejects.push({ reason: parsed.reason, payload: raw, index: line });
  }
  return { items, rejects };
}

/**
 * Validates native events posted to `/v1/events` (a JSON array or a single object). Each item is
 * checked with the native schema plus time bounds against `ctx.now`. `district_id` is filled from
 * the context when absent and refused (`district_mismatch`) when different; `source` is filled from
 * the context when absent. Rejections carry the item's 0-based `index`.
 */
export function validateNativeEvents(input: unknown, ctx: NativeContext): AdaptResult {
  try {
    const items = Array.isArray(input) ? input : [input];
    return validateItems(
      items.map((value, index) => ({ value, index })),
      ctx,
    );
  } catch (err) {
    return internalErrorResult(input, err);
  }
}

/** {@link parseNdjson} + {@link validateNativeEvents}: rejections carry `line` (and `index` = line). */
export function validateNdjson(text: string, ctx: NativeContext): AdaptResult {
  try {
    const { items, rejects } = parseNdjson(text);
    const result = validateItems(
      items.map((it) => ({ value: it.value, index: it.line, line: it.line })),
      ctx,
    );
    result.rejects = [...rejects, ...result.rejects].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return result;
  } catch (err) {
    return internalErrorResult(text, err);
  }
}

function validateItems(
  items: Array<{ value: unknown; index: number; line?: number }>,
  ctx: NativeContext,
): AdaptResult {
  const result = emptyResult();
  const schema = makeNativeEventSchema(ctx.now);
  for (const { value, index, line } of items) {
    const where = line !== undefined ? { line } : {};
    try {
      if (!isObject(value)) {
        result.rejects.push({
          reason: { code: 'invalid_field', message: 'event: must be a JSON object', ...where },
          payload: value,
          index,
        });
        continue;
      }
      const candidate: Record<string, unknown> = { ...value };
      const district = candidate['district_id'];
      if (district === undefined || district === null || district === '') {
        candidate['district_id'] = ctx.districtId;
      } else if (district !== ctx.districtId) {
        result.rejects.push({
          reason: {
            code: 'district_mismatch',
            field: 'district_id',
            message: `district_id: ${JSON.stringify(district)} does not match the district of the key`,
            ...where,
          },
          payload: value,
          index,
        });
        continue;
      }
      if ((candidate['source'] === undefined || candidate['source'] === null) && ctx.source) {
        candidate['source'] = ctx.source;
      }
      const parsed = schema.safeParse(candidate);
      if (parsed.success) result.events.push(parsed.data as NativeEvent);
      else result.rejects.push({ reason: { ...reasonFromZod(parsed.error), ...where }, payload: value, index });
    } catch (err) {
      result.rejects.push({
        reason: {
          code: 'internal_error',
          message: `internal error while validating: ${err instanceof Error ? err.message : String(err)}`,
          ...where,
        },
        payload: value,
        index,
      });
    }
  }
  return result;
}
