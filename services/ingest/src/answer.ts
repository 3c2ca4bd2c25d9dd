import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  deadLetterBuilder,
  requestItemOrigin,
  stageResultsOf,
  userPartitionKey,
  type DeadLetter,
  type RawMessage,
} from '@edusage/contracts';
import type { JsonMessage } from '@edusage/kafka';
import type { Adapted } from './adapt';
import type { KeyEventLimit } from './key-event-limit';
import type { IngestMetrics } from './metrics';
import type { EventSink } from './sink';

/** One item of the `rejected` list in a response: where (array index or NDJSON line) and why. */
export interface RejectedItem {
  index?: number;
  line?: number;
  /** `code` is one of the reason codes of packages/contracts (RejectReason). */
  reason: { code: string; message: string; field?: string };
}

export interface IngestResponse {
  accepted: number;
  rejected: RejectedItem[];
  /** Valid items that carry no usage (e.g. Caliper entity descriptions in an envelope): neither accepted nor dead-lettered. */
  skipped: number;
}

/** Where an item was in the request, as the answer names it: array index or 1-based NDJSON line. */
export type ItemPosition = (index: number) => { index: number } | { line: number };

export interface Answering {
  /**
   * Produces accepted events (usage.raw) and dead letters (usage.dlq); resolves once Kafka acknowledged
   * all of them (throws KafkaUnavailableError → 503, MessageTooLargeError → 413, RequestRefused 429
   * when the key is past its events per minute, before anything is produced). Returns what the
   * answer reports.
   */
  produce(request: FastifyRequest, adapted: Adapted, position: ItemPosition): Promise<IngestResponse>;
  /** Produces, then answers 202, or 422 when every item sent was rejected (or `status` when given). */
  finish(
    request: FastifyRequest,
    reply: FastifyReply,
    adapted: Adapted,
    position: ItemPosition,
    status?: number,
  ): Promise<FastifyReply>;
  /** The body was not JSON: one dead letter with the whole text, 400. */
  malformed(request: FastifyRequest, reply: FastifyReply, text: string, message: string): Promise<FastifyReply>;
}

/** How an authenticated request's adapted items become Kafka messages and the HTTP answer. */
export function answering(deps: { sink: EventSink; metrics: IngestMetrics; limit?: KeyEventLimit }): Answering {
  const { sink, metrics } = deps;

  const produce: Answering['produce'] = async (request, adapted, position) => {
    // What is written counts against the key's events per minute: events and dead letters alike.
    const giveBack = await deps.limit?.charge(request, adapted.events.length + adapted.rejects.length);
    const route = request.routeOptions.url ?? 'unmatched';
    const sender = request.sender!;
    const receivedAt = new Date().toISOString();
    const deadLetter = deadLetterBuilder({
      stage: 'ingest',
      source: sender.source,
      districtId: sender.district_id,
      inputFormat: inputFormatOf(route),
    });
    const raw: JsonMessage[] = [];
    const dlq: JsonMessage[] = [];
    const rejected: RejectedItem[] = [];
    let skipped = 0;
    // Each item of the body, routed in one place: an event to usage.raw, a refusal to usage.dlq (and
    // the answer), a skip counted.
    for (const item of stageResultsOf(adapted)) {
      if (item.kind === 'ok') {
        const value: RawMessage = {
          v: 1,
          event: item.value,
          received_at: receivedAt,
          channel: 'http',
          origin: request.id,
        };
        raw.push({ key: userPartitionKey(item.value), value });
      } else if (item.kind === 'dead_letter') {
        const pos = position(item.index ?? rejected.length);
        const reason: DeadLetter['reason'] = { ...item.reason, ...('line' in pos ? { line: pos.line } : {}) };
        rejected.push({ ...pos, reason: publicReason(item.reason) });
        // Parsed items are kept as their JSON text (so a JSON string item stays quoted); text that
        // was not JSON is kept verbatim.
        const payload =
          item.reason.code === 'malformed_json' && typeof item.payload === 'string'
            ? item.payload
            : jsonText(item.payload);
        dlq.push({
          key: sender.source,
          value: deadLetter({ reason, payload, origin: requestItemOrigin(request.id, pos) }),
        });
      } else skipped++;
    }
    try {
      await sink.send({ raw, dlq });
    } catch (err) {
      // Nothing claimed as stored (503 / 413): the client's retry is not charged twice.
      await giveBack?.();
      throw err;
    }
    // Counted only once Kafka has them.
    for (const m of raw) metrics.eventsAccepted.inc({ route, source: (m.value as RawMessage).event.source });
    for (const r of rejected) metrics.eventsRejected.inc({ route, code: r.reason.code });
    return { accepted: raw.length, rejected, skipped };
  };

  const finish: Answering['finish'] = async (request, reply, adapted, position, status) => {
    const body = await produce(request, adapted, position);
    const code = status ?? (body.accepted === 0 && body.rejected.length > 0 ? 422 : 202);
    return reply.code(code).send(body);
  };

  const malformed: Answering['malformed'] = async (request, reply, text, message) => {
    const adapted: Adapted = {
      events: [],
      rejects: [{ index: 0, payload: text, reason: { code: 'malformed_json', message } }],
      skipped: [],
    };
    return finish(request, reply, adapted, (index) => ({ index }), 400);
  };

  return { produce, finish, malformed };
}

/** The adapter a route's body goes through: recorded in its dead letters so `dlq replay` can re-run it. */
function inputFormatOf(route: string): string {
  if (route.startsWith('/v1/caliper')) return 'caliper';
  if (route.startsWith('/v1/xapi')) return 'xapi';
  return 'native';
}

function publicReason(reason: DeadLetter['reason']): RejectedItem['reason'] {
  return { code: reason.code, message: reason.message, ...(reason.field !== undefined ? { field: reason.field } : {}) };
}

function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
