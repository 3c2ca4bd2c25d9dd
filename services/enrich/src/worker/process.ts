import {
  enrichedEventSchema,
  makeDeadLetter,
  rawMessageSchema,
  reasonFromZod,
  type DeadLetter,
  type EnrichedEvent,
} from '@edusage/contracts';
import { enrichEvent, type DistrictView } from '../enrich/enrich';
import { senderPartitionKey } from '../enrich/pseudonym';

export interface InMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  offset: string;
}

export interface OutMessage {
  key: string;
  value: string;
}

export interface ProcessedChunk {
  enriched: OutMessage[];
  dlq: OutMessage[];
  unresolvedPeople: number;
  unresolvedApps: number;
}

export interface ProcessContext {
  topic: string;
  partition: number;
  pseudonymKey: string;
  view: (districtId: string) => DistrictView;
  /** Validate each output against the EnrichedEvent schema too (tests; costs time). */
  validateOutput?: boolean;
  now?: () => Date;
}

/**
 * Enriches a run of raw Kafka messages into enriched and dead-letter messages. Never throws for a
 * bad message: anything that is not a valid RawMessage (or fails to enrich) becomes a DeadLetter
 * naming the reason, with the original payload.
 */
export function processMessages(messages: readonly InMessage[], ctx: ProcessContext): ProcessedChunk {
  const out: ProcessedChunk = {
    enriched: [],
    dlq: [],
    unresolvedPeople: 0,
    unresolvedApps: 0,
  };
  const enrichedAt = (ctx.now?.() ?? new Date()).toISOString();
  const origin = (offset: string) => `${ctx.topic}/${ctx.partition}@${offset}`;
  const dead = (letter: DeadLetter) => {
    out.dlq.push({ key: letter.source, value: JSON.stringify(letter) });
  };
  for (const m of messages) {
    const text = m.value === null ? null : typeof m.value === 'string' ? m.value : m.value.toString('utf8');
    if (text === null || text.length === 0) {
      dead(
        makeDeadLetter({
          stage: 'enrich',
          source: 'unknown',
          districtId: null,
          reason: { code: 'malformed_json', message: 'empty message value' },
          payload: '',
          origin: origin(m.offset),
        }),
      );
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      dead(
        makeDeadLetter({
          stage: 'enrich',
          source: 'unknown',
          districtId: null,
          reason: {
            code: 'malformed_json',
            message: `not JSON: ${(err as Error).message}`,
          },
          payload: text,
          origin: origin(m.offset),
        }),
      );
      continue;
    }
    const parsed = rawMessageSchema.safeParse(json);
    if (!parsed.success) {
      const ev = (json as { event?: { source?: unknown; district_id?: unknown } } | null)?.event;
      dead(
        makeDeadLetter({
          stage: 'enrich',
          source: typeof ev?.source === 'string' ? ev.source : 'unknown',
          districtId: typeof ev?.district_id === 'string' ? ev.district_id : null,
          reason: reasonFromZod(parsed.error),
          payload: text,
          origin: origin(m.offset),
        }),
      );
      continue;
    }
    const raw = parsed.data;
    let enriched: EnrichedEvent;
    try {
      enriched = enrichEvent(
        raw,
        { topic: ctx.topic, partition: ctx.partition, offset: m.offset },
        ctx.view(raw.event.district_id),
        ctx.pseudonymKey,
        enrichedAt,
      );
      if (ctx.validateOutput) enrichedEventSchema.parse(enriched);
    } catch (err) {
      dead(
        makeDeadLetter({
          stage: 'enrich',
          source: raw.event.source,
          districtId: raw.event.district_id,
          reason: {
            code: 'internal_error',
            message: `enrichment failed: ${(err as Error).message}`,
          },
          payload: text,
          origin: origin(m.offset),
        }),
      );
      continue;
    }
    if (!enriched.person_resolved) out.unresolvedPeople++;
    if (!enriched.app_resolved) out.unresolvedApps++;
    out.enriched.push({
      key: senderPartitionKey(ctx.pseudonymKey, raw.event.district_id, raw.event.user),
      value: JSON.stringify(enriched),
    });
  }
  return out;
}

/**
 * The dead letter for a raw message whose output is larger than one produce call may carry (the
 * broker's max.message.bytes): producing it would fail on every retry and stall the partition.
 * The payload is cut so that the dead letter itself fits.
 */
export function oversizedDeadLetter(
  m: InMessage,
  ctx: Pick<ProcessContext, 'topic' | 'partition'>,
  outputBytes: number,
  budget: number,
): OutMessage {
  const text = m.value === null ? '' : typeof m.value === 'string' ? m.value : m.value.toString('utf8');
  let ev: { source?: unknown; district_id?: unknown } | undefined;
  try {
    ev = (JSON.parse(text) as { event?: typeof ev } | null)?.event;
  } catch {
    ev = undefined;
  }
  const source = typeof ev?.source === 'string' ? ev.source : 'unknown';
  const letterWith = (payload: string) =>
    makeDeadLetter({
      stage: 'enrich',
      source,
      districtId: typeof ev?.district_id === 'string' ? ev.district_id : null,
      reason: {
        code: 'payload_too_large',
        message: `the enriched output of this message is ${outputBytes} bytes; one produce call may carry at most ${budget} (the broker's max.message.bytes less batch overhead)`,
      },
      payload,
      origin: `${ctx.topic}/${ctx.partition}@${m.offset}`,
    });
  // Room left for the payload: a UTF-16 unit takes at most 6 bytes once JSON-escaped (\uXXXX).
  const fixedBytes = Buffer.byteLength(JSON.stringify(letterWith(''))) + Buffer.byteLength(source) + 64;
  const room = Math.max(0, Math.floor((budget - fixedBytes) / 6));
  const letter = letterWith(text.slice(0, room));
  if (text.length > room) letter.payload_truncated = true;
  return { key: source, value: JSON.stringify(letter) };
}
