import {
  adaptSquidLine,
  enrichedEventSchema,
  parseJsonPayload,
  rawMessageSchema,
  reasonFromZod,
  SOURCES,
  userPartitionKey,
  type AdaptResult,
  type DeadLetter,
  type RawMessage,
  type RejectReason,
  type Source,
} from '@edusage/contracts';
import type { JsonMessage } from '@edusage/kafka';
import { adaptCaliperBody, adaptNativeItems, adaptXapiBody, type SenderContext } from '../adapt';

/** A replayed raw message's origin: this prefix and the letter's place on the dead-letter topic. */
export const REPLAY_ORIGIN_PREFIX = 'dlq:';

/** Formats whose dead-lettered payload can be read again on its own (one item, one line). */
export const REPLAY_FORMATS = ['native', 'caliper', 'xapi', 'squid', 'raw', 'enriched'] as const;
export type ReplayFormat = (typeof REPLAY_FORMATS)[number];

export interface ReplayOptions {
  /** Read every selected letter as this format (for letters written before `input_format` existed). */
  format?: ReplayFormat;
  /** Squid: a line without a user becomes an event of its client IP, as the import's `--ip-as-device`. */
  ipAsDevice?: boolean;
  /** usage.enriched's partitions now: a letter of a partition beyond them is not replayable. */
  enrichedPartitions?: number;
}

/** Where one dead letter stands after it was read again. */
export type LetterOutcome =
  | {
      kind: 'replayed';
      raw: JsonMessage[];
      enriched: JsonMessage[];
      skipped: number;
      /** Items of a multi-item payload (a whole body) that still fail beside the ones that pass. */
      rejects: RejectReason[];
    }
  | { kind: 'still_rejected'; reason: RejectReason }
  | { kind: 'not_replayable'; why: string };

/**
 * The format of a letter's payload: the one it records, else what its stage and source imply
 * (enrich refused a raw message, aggregate an enriched event; Caliper and xAPI keys send their own
 * formats; anything else sent over HTTP is native JSON).
 */
export function letterFormat(letter: DeadLetter, opts: ReplayOptions): string | null {
  if (opts.format !== undefined) return opts.format;
  if (letter.input_format !== undefined) return letter.input_format;
  if (letter.stage === 'enrich') return 'raw';
  // The aggregate names the topic it read, with the deployment's KAFKA_TOPIC_PREFIX.
  if (letter.stage === 'aggregate') return letter.source.endsWith('usage.enriched') ? 'enriched' : null;
  if (letter.source === 'caliper' || letter.source === 'xapi') return letter.source;
  if (letter.stage === 'ingest') return 'native';
  return null;
}

/**
 * Reads one dead letter's payload again with today's code: events that now pass become messages
 * for `usage.raw` (or `usage.enriched`, for a letter aggregate refused) with the same ids as the
 * first time, so replaying twice is removed downstream as a duplicate; what still fails says why.
 * `at` names the letter's place on the dead-letter topic and becomes the events' origin.
 */
export function replayLetter(letter: DeadLetter, at: string, opts: ReplayOptions = {}): LetterOutcome {
  if (letter.payload_truncated) return { kind: 'not_replayable', why: 'payload was cut to the dead-letter limit' };
  const format = letterFormat(letter, opts);
  if (format === null || !(REPLAY_FORMATS as readonly string[]).includes(format)) {
    return {
      kind: 'not_replayable',
      why: `no replay for input format ${format ?? 'unknown'}: import the file again (imports are idempotent)`,
    };
  }
  const origin = `${REPLAY_ORIGIN_PREFIX}${at}`;
  if (format === 'raw') return replayRaw(letter.payload, origin);
  if (format === 'enriched') return replayEnriched(letter.payload, letter.origin, opts.enrichedPartitions);

  if (letter.district_id === null) return { kind: 'not_replayable', why: 'letter names no district' };
  if (!(SOURCES as readonly string[]).includes(letter.source)) {
    return { kind: 'not_replayable', why: `letter's source ${letter.source} is not an event source` };
  }
  // The time bounds are judged at the time the input first arrived, not today.
  const failedAt = new Date(letter.failed_at);
  const ctx: SenderContext = {
    districtId: letter.district_id,
    source: letter.source as Source,
    ...(Number.isNaN(failedAt.getTime()) ? {} : { now: failedAt }),
  };
  const adapted = adaptPayload(format as 'native' | 'caliper' | 'xapi' | 'squid', letter, ctx, opts);
  if ('reason' in adapted) return { kind: 'still_rejected', reason: adapted.reason };
  if (adapted.events.length === 0 && adapted.rejects.length > 0) {
    return { kind: 'still_rejected', reason: adapted.rejects[0]!.reason };
  }
  const receivedAt = Number.isNaN(failedAt.getTime()) ? new Date().toISOString() : failedAt.toISOString();
  const raw = adapted.events.map((event) => {
    const value: RawMessage = { v: 1, event, received_at: receivedAt, channel: 'replay', origin };
    return { key: userPartitionKey(event), value };
  });
  return {
    kind: 'replayed',
    raw,
    enriched: [],
    skipped: adapted.skipped.length,
    rejects: adapted.rejects.map((r) => r.reason),
  };
}

function adaptPayload(
  format: 'native' | 'caliper' | 'xapi' | 'squid',
  letter: DeadLetter,
  ctx: SenderContext,
  opts: ReplayOptions,
): AdaptResult | { reason: RejectReason } {
  if (format === 'squid') {
    // The line number is part of a Squid event's id: the same line replayed gets the same id.
    return adaptSquidLine(letter.payload, letter.reason.line ?? 0, {
      districtId: ctx.districtId,
      source: ctx.source,
      ipAsDevice: opts.ipAsDevice ?? false,
      ...(ctx.now ? { now: ctx.now } : {}),
    });
  }
  const parsed = parseJsonPayload(letter.payload);
  if (!parsed.ok) return { reason: parsed.reason };
  const body = parsed.value;
  if (format === 'caliper') return adaptCaliperBody(body, ctx);
  if (format === 'xapi') return adaptXapiBody(body, ctx, ctx.now);
  return adaptNativeItems(Array.isArray(body) ? body : [body], ctx);
}

function replayRaw(payload: string, origin: string): LetterOutcome {
  const parsed = parseJsonPayload(payload);
  if (!parsed.ok) return { kind: 'still_rejected', reason: parsed.reason };
  const result = rawMessageSchema.safeParse(parsed.value);
  if (!result.success) return { kind: 'still_rejected', reason: reasonFromZod(result.error) };
  // The refused text itself goes back (its keys in its order, not the schema's): refused again, the
  // new letter has the same payload, one input for the dead-letter report and for the next replay.
  const sent = parsed.value as Record<string, unknown>;
  const value = result.data.origin === undefined ? { ...sent, origin } : sent;
  return {
    kind: 'replayed',
    raw: [{ key: userPartitionKey(result.data.event), value }],
    enriched: [],
    skipped: 0,
    rejects: [],
  };
}

/**
 * An event the aggregate refused goes back to the usage.enriched partition it came from (its letter's
 * origin, `<topic>/<partition>/<offset>`): the aggregate's duplicate check is per partition, and enrich
 * keyed it by the sender's identifier, which the enriched event no longer holds; on another partition
 * a copy stored meanwhile (a re-import after the fix) would be counted again.
 */
function replayEnriched(payload: string, origin: string | undefined, partitions: number | undefined): LetterOutcome {
  const partition = origin === undefined ? null : partitionOfOrigin(origin);
  if (partition === null)
    return {
      kind: 'not_replayable',
      why: `the letter does not name the usage.enriched partition it came from (origin ${origin ?? 'missing'}): import the file again (imports are idempotent)`,
    };
  // A topic made again with fewer partitions since: the partition is gone, and a send to it would fail the run.
  if (partitions !== undefined && partition >= partitions)
    return {
      kind: 'not_replayable',
      why: `the letter's usage.enriched partition ${partition} is not one of the topic's ${partitions} now: import the file again (imports are idempotent)`,
    };
  const parsed = parseJsonPayload(payload);
  if (!parsed.ok) return { kind: 'still_rejected', reason: parsed.reason };
  const result = enrichedEventSchema.safeParse(parsed.value);
  if (!result.success) return { kind: 'still_rejected', reason: reasonFromZod(result.error) };
  const e = result.data;
  return {
    kind: 'replayed',
    raw: [],
    // The refused text itself, as for a raw message (replayRaw).
    enriched: [{ key: `${e.district_id}|${e.person_id}`, value: parsed.value, partition }],
    skipped: 0,
    rejects: [],
  };
}

/** The partition of a Kafka position `<topic>/<partition>/<offset>` (`kafkaPosition`), else null. */
function partitionOfOrigin(origin: string): number | null {
  const m = /^[^/]+\/(\d+)\/\d+$/.exec(origin);
  return m ? Number(m[1]) : null;
}
