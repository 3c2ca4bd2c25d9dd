import {
  deadLetterBuilder,
  enrichedEventSchema,
  kafkaPosition,
  nativeEventSchema,
  parseJsonPayload,
  rawMessageSchema,
  reasonFromZod,
  SOURCES,
  stageDeadLetter,
  stageOk,
  type DeadLetter,
  type EnrichedEvent,
  type StageResult,
} from '@edusage/contracts';
import { recordBytes } from '@edusage/kafka';
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
  /** Events of erased people, dropped (nothing of them is passed on). */
  erased: number;
}

export interface ProcessContext {
  topic: string;
  partition: number;
  pseudonymKey: string;
  view: (districtId: string) => DistrictView;
  /** Why a district's events cannot be enriched now (its roster cannot be read), or null. */
  unavailable?: (districtId: string) => DeadLetter['reason'] | null;
  /** Validate each output against the EnrichedEvent schema too (tests; costs time). */
  validateOutput?: boolean;
  now?: () => Date;
}

/** Who sent a message, as far as it says (a dead letter names them when known). */
interface Sender {
  source: string;
  districtId: string | null;
}

const UNKNOWN_SENDER: Sender = { source: 'unknown', districtId: null };

/** One message's outcome; `sender` is what the message itself names (for its dead letter). */
type MessageResult = { result: StageResult<{ enriched: EnrichedEvent; key: string }>; sender: Sender };

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
    erased: 0,
  };
  const enrichedAt = (ctx.now?.() ?? new Date()).toISOString();
  const deadLetter = deadLetterBuilder({ stage: 'enrich', ...UNKNOWN_SENDER });
  for (const m of messages) {
    const { result, sender } = enrichMessage(m, ctx, enrichedAt);
    // The one place a message is routed.
    if (result.kind === 'ok') {
      const { enriched, key } = result.value;
      if (!enriched.person_resolved) out.unresolvedPeople++;
      if (!enriched.app_resolved) out.unresolvedApps++;
      out.enriched.push({
        key,
        value: JSON.stringify(enriched),
      });
    } else if (result.kind === 'dead_letter') {
      const letter = deadLetter({
        ...sender,
        reason: result.reason,
        payload: result.payload,
        origin: kafkaPosition(ctx.topic, ctx.partition, m.offset),
      });
      out.dlq.push({ key: letter.source, value: JSON.stringify(letter) });
    } else out.erased++; // skip: an erased person's event; neither passed on nor dead-lettered (it names them)
  }
  return out;
}

function messageText(m: InMessage): string | null {
  return m.value === null ? null : typeof m.value === 'string' ? m.value : m.value.toString('utf8');
}

/** One raw message → its enriched event, or why not (the original text is the dead letter's payload). */
function enrichMessage(m: InMessage, ctx: ProcessContext, enrichedAt: string): MessageResult {
  const text = messageText(m);
  if (text === null || text.length === 0) {
    return {
      result: stageDeadLetter({ code: 'malformed_json', message: 'empty message value' }, ''),
      sender: UNKNOWN_SENDER,
    };
  }
  const json = parseJsonPayload(text);
  if (!json.ok) {
    return {
      result: stageDeadLetter({ code: 'malformed_json', message: `not JSON: ${json.detail}` }, text),
      sender: UNKNOWN_SENDER,
    };
  }
  const parsed = rawMessageSchema.safeParse(json.value);
  if (!parsed.success) {
    return { result: stageDeadLetter(reasonFromZod(parsed.error), text), sender: namedSender(json.value) };
  }
  const raw = parsed.data;
  const sender = { source: raw.event.source, districtId: raw.event.district_id };
  let enriched: EnrichedEvent;
  const view = ctx.view(raw.event.district_id);
  try {
    enriched = enrichEvent(
      raw,
      { topic: ctx.topic, partition: ctx.partition, offset: m.offset },
      view,
      ctx.pseudonymKey,
      enrichedAt,
    );
    if (ctx.validateOutput) enrichedEventSchema.parse(enriched);
  } catch (err) {
    const reason = { code: 'internal_error', message: `enrichment failed: ${(err as Error).message}` };
    return { result: stageDeadLetter(reason, text), sender };
  }
  if (view.erased?.has(enriched.person_id)) {
    return { result: { kind: 'skip', reason: 'person_erased', message: 'the person was erased' }, sender };
  }
  // After the erased check: an erased person's event is dropped, never dead-lettered (it names them).
  const unavailable = ctx.unavailable?.(raw.event.district_id);
  if (unavailable) return { result: stageDeadLetter(unavailable, text), sender };
  const key = senderPartitionKey(ctx.pseudonymKey, raw.event.district_id, raw.event.user);
  return { result: stageOk({ enriched, key }), sender };
}

/** A source named by a message that is not valid, kept when it is a short plain token. */
const PLAIN_SOURCE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const districtIdSchema = nativeEventSchema.shape.district_id;

/**
 * The source and district a message that is not a valid RawMessage names, if they are bounded: a
 * known source or a plain token of at most 64 characters, a district id valid by the contracts
 * (1-256 characters). Anything else is unknown: it would be copied into the letter and its key.
 */
function namedSender(json: unknown): Sender {
  const ev = (json as { event?: { source?: unknown; district_id?: unknown } } | null)?.event;
  const source = ev?.source;
  const known =
    typeof source === 'string' && ((SOURCES as readonly string[]).includes(source) || PLAIN_SOURCE.test(source));
  const district = districtIdSchema.safeParse(ev?.district_id);
  return { source: known ? source : 'unknown', districtId: district.success ? district.data : null };
}

/** Longest payload prefix in the minimal oversized letter. */
const MINIMAL_PAYLOAD_CHARS = 1_024;

/**
 * The dead letter for a raw message whose output is larger than one produce call may carry (the
 * broker's max.message.bytes): producing it would fail on every retry and stall the partition.
 * The payload is cut so that the dead letter itself fits; if it still does not (a long district id
 * against a small limit), a minimal letter without the sender and with a short prefix is sent.
 */
export function oversizedDeadLetter(
  m: InMessage,
  ctx: Pick<ProcessContext, 'topic' | 'partition'>,
  outputBytes: number,
  budget: number,
): OutMessage {
  const text = messageText(m) ?? '';
  const json = parseJsonPayload(text);
  const letter: Omit<LetterParts, 'sender' | 'maxChars'> = {
    text,
    budget,
    origin: kafkaPosition(ctx.topic, ctx.partition, m.offset),
    reason: {
      code: 'payload_too_large',
      message: `the enriched output of this message is ${outputBytes} bytes; one produce call may carry at most ${budget} (the broker's max.message.bytes less batch overhead)`,
    },
  };
  const full = cutLetter({ ...letter, sender: json.ok ? namedSender(json.value) : UNKNOWN_SENDER });
  if (recordBytes(full) <= budget) return full;
  return cutLetter({ ...letter, sender: UNKNOWN_SENDER, maxChars: MINIMAL_PAYLOAD_CHARS });
}

interface LetterParts {
  text: string;
  sender: Sender;
  reason: DeadLetter['reason'];
  origin: string;
  budget: number;
  maxChars?: number;
}

/** A letter with as much of `text` as fits the budget beside everything else (at most `maxChars`). */
function cutLetter(p: LetterParts): OutMessage {
  const deadLetter = deadLetterBuilder({ stage: 'enrich', ...p.sender });
  const letterWith = (payload: string) => deadLetter({ reason: p.reason, payload, origin: p.origin });
  // Room left for the payload: a UTF-16 unit takes at most 6 bytes once JSON-escaped (\uXXXX).
  const fixedBytes = Buffer.byteLength(JSON.stringify(letterWith(''))) + Buffer.byteLength(p.sender.source) + 64;
  const room = Math.min(p.maxChars ?? Infinity, Math.max(0, Math.floor((p.budget - fixedBytes) / 6)));
  const letter = letterWith(p.text.slice(0, room));
  if (p.text.length > room) letter.payload_truncated = true;
  return { key: p.sender.source, value: JSON.stringify(letter) };
}
