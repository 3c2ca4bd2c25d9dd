import {
  adaptCaliper,
  adaptXapi,
  validateNativeEvents,
  type AdaptResult,
  type Rejection,
  type Source,
} from '@edusage/contracts';

/** Who is sending: from the API key (HTTP) or the command line (file import). */
export interface SenderContext {
  districtId: string;
  source: Source;
  /** Clock for the occurred_at bounds (default: now); the import's --reference-time. */
  now?: Date;
}

export type Adapted = AdaptResult;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Native events from an authenticated sender. The sender decides district and source: a missing
 * `district_id` or `source` is filled in; a different `district_id` is refused (`district_mismatch`)
 * and so is a different `source` (`invalid_field`, field `source`): a key issued for `agent` cannot
 * write `sso` events. Rejections carry the item's 0-based position in `items` as `index`.
 */
export function adaptNativeItems(items: unknown[], ctx: SenderContext): AdaptResult {
  const positions: number[] = [];
  const candidates: unknown[] = [];
  const sourceRejects: Rejection[] = [];
  items.forEach((item, index) => {
    const source = isPlainObject(item) ? item['source'] : undefined;
    if (source !== undefined && source !== null && source !== ctx.source) {
      sourceRejects.push({
        index,
        payload: item,
        reason: {
          code: 'invalid_field',
          field: 'source',
          message: `source: ${JSON.stringify(source)} is not the source of this key (${ctx.source})`,
        },
      });
      return;
    }
    positions.push(index);
    candidates.push(item);
  });
  const result = validateNativeEvents(candidates, {
    districtId: ctx.districtId,
    source: ctx.source,
    ...(ctx.now ? { now: ctx.now } : {}),
  });
  const rejects = [
    ...sourceRejects,
    ...result.rejects.map((r) => ({ ...r, index: positions[r.index ?? 0] ?? 0 })),
  ].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  return { events: result.events, rejects, skipped: result.skipped };
}

/** Caliper Envelope (`data` array), an array of events, or a single Caliper event. */
export function adaptCaliperBody(body: unknown, ctx: SenderContext): AdaptResult {
  return adaptCaliper(body, { districtId: ctx.districtId, source: ctx.source, ...(ctx.now ? { now: ctx.now } : {}) });
}

/** One xAPI statement or an array of statements (`receivedAt` stands in for a missing timestamp). */
export function adaptXapiBody(body: unknown, ctx: SenderContext, receivedAt = new Date()): AdaptResult {
  return adaptXapi(body, {
    districtId: ctx.districtId,
    source: ctx.source,
    receivedAt,
    ...(ctx.now ? { now: ctx.now } : {}),
  });
}
