import type { FastifyInstance } from 'fastify';
import type { RawMessage } from '@edusage/contracts';
import type { IngestMetrics } from './metrics';
import { RETRY_AFTER_SECONDS, RequestRefused } from './request-refused';
import { KafkaUnavailableError, MessageTooLargeError } from './sink';

/**
 * Answers every error of a request in one place: refusals of the whole request (413, 415, 400 bad
 * gzip, 429 a key past its events per minute), a message over the broker's limit (413, permanent), Kafka unreachable (503 + Retry-After),
 * Fastify's own 4xx; anything else is logged and answered 500 without details.
 */
export function answerErrors(app: FastifyInstance, deps: { metrics: IngestMetrics; maxBodyBytes: number }): void {
  const { metrics } = deps;
  app.setErrorHandler(async (error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (error instanceof RequestRefused) {
      metrics.requestsRefused.inc({ route, code: error.code });
      return reply.code(error.statusCode).headers(error.headers).send({ error: error.code, message: error.message });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
      metrics.requestsRefused.inc({ route, code: 'payload_too_large' });
      return reply.code(413).send({
        error: 'payload_too_large',
        message: `request body is larger than ${deps.maxBodyBytes} bytes (INGEST_MAX_BODY_BYTES); split it into smaller requests`,
      });
    }
    if (error.code === 'Z_DATA_ERROR' || error.code === 'Z_BUF_ERROR') {
      metrics.requestsRefused.inc({ route, code: 'bad_gzip' });
      return reply
        .code(400)
        .send({ error: 'bad_gzip', message: `content-encoding gzip but the body is not valid gzip: ${error.message}` });
    }
    if (error instanceof MessageTooLargeError) {
      // Permanent: the same request would be refused on every retry, so never 503.
      metrics.requestsRefused.inc({ route, code: 'message_too_large' });
      const eventId = eventIdOf(error);
      // Never the error itself: its tooLarge.message is the whole event (student ids, email).
      const { topic, bytes, budget } = error.tooLarge ?? {};
      request.log.warn(
        { err: error.message, topic, bytes, budget, event_id: eventId },
        'a message is over the broker limit: answering 413',
      );
      return reply.code(413).send({
        error: 'message_too_large',
        message:
          (eventId !== undefined ? `event ${JSON.stringify(eventId)}: ` : '') +
          `${error.message}; nothing was accepted: remove or shorten that item and send the batch again`,
      });
    }
    if (error instanceof KafkaUnavailableError) {
      metrics.requestsRefused.inc({ route, code: 'kafka_unavailable' });
      request.log.warn({ err: error }, 'kafka unavailable: answering 503');
      return reply.code(503).header('retry-after', RETRY_AFTER_SECONDS).send({
        error: 'kafka_unavailable',
        message: 'the event log is not reachable; nothing was accepted, retry later',
      });
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: error.code ?? 'bad_request', message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal_error', message: 'internal error; see the server log' });
  });
}

/** The event_id of the raw message that did not fit, when the sink knows which one it was. */
function eventIdOf(error: MessageTooLargeError): string | undefined {
  return (error.tooLarge?.message.value as Partial<RawMessage> | undefined)?.event?.event_id;
}
