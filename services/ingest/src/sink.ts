import type { Producer } from 'kafkajs';
import {
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  readMaxMessageBytes,
  type Kafka,
  RecordTooLargeError,
  isTooLargeError,
  produceBudget,
  produceJson,
  type JsonMessage,
} from '@edusage/kafka';
import type { TopicNames } from '@edusage/config';
import type { IngestMetrics } from './metrics';

/** Thrown when Kafka did not acknowledge a batch (error or timeout): the HTTP answer is 503. */
export class KafkaUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaUnavailableError';
  }
}

/**
 * Thrown when Kafka can never take the batch as it is (one message over the broker's
 * max.message.bytes): retrying would fail forever, so the HTTP answer is 413, not 503.
 */
export class MessageTooLargeError extends Error {
  /**
   * The message that does not fit, when known. Not enumerable, and left out of toJSON: it is a whole
   * event (a student's ids and email), which a logged error (pino's err serializer) must not print.
   */
  declare readonly tooLarge?: { topic: string; message: JsonMessage; bytes: number; budget: number };

  constructor(
    message: string,
    tooLarge?: { topic: string; message: JsonMessage; bytes: number; budget: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MessageTooLargeError';
    Object.defineProperty(this, 'tooLarge', { value: tooLarge, enumerable: false });
  }

  toJSON(): Record<string, unknown> {
    const { topic, bytes, budget } = this.tooLarge ?? {};
    return { name: this.name, message: this.message, topic, bytes, budget };
  }
}

/** The broker's max.message.bytes of usage.raw and usage.dlq (read once, at start). */
export interface SinkLimits {
  raw: number;
  dlq: number;
}

export async function readSinkLimits(kafka: Kafka, topics: Pick<TopicNames, 'raw' | 'dlq'>): Promise<SinkLimits> {
  return { raw: await readMaxMessageBytes(kafka, [topics.raw]), dlq: await readMaxMessageBytes(kafka, [topics.dlq]) };
}

/** Where accepted events and dead letters go. Resolves only once Kafka acknowledged every message. */
export interface EventSink {
  send(batch: { raw: JsonMessage[]; dlq: JsonMessage[] }): Promise<void>;
  /** Largest record (recordBytes) one usage.raw message may be; larger ones fail with MessageTooLargeError. */
  readonly maxRecordBytes?: number;
}

/**
 * The Kafka sink: the idempotent producer (acks=all) writes accepted events to `usage.raw` and
 * rejected items to `usage.dlq`. Both sends run side by side; the promise resolves when both are
 * acknowledged and rejects (KafkaUnavailableError) when either fails or outlives `timeoutMs`.
 * A failed batch may still have been written in part: the caller answers 503, the client retries,
 * and the copies are removed downstream by dedup_key (delivery is at-least-once by design).
 *
 * One person's events share a partition, and kafkajs writes one record batch per partition per
 * request, so each topic's list is produced in consecutive calls of at most that topic's
 * max.message.bytes (`limits`, read at start with readSinkLimits) minus batch overhead. A single message over it
 * is a permanent error (MessageTooLargeError), never a retry-later.
 */
export class KafkaSink implements EventSink {
  constructor(
    private readonly producer: Producer,
    private readonly topics: Pick<TopicNames, 'raw' | 'dlq'>,
    private readonly opts: { metrics?: IngestMetrics; timeoutMs?: number; limits?: SinkLimits } = {},
  ) {}

  get maxRecordBytes(): number {
    return produceBudget(this.opts.limits?.raw ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
  }

  private budgetFor(topic: string): number {
    const limit = topic === this.topics.dlq ? this.opts.limits?.dlq : this.opts.limits?.raw;
    return produceBudget(limit ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
  }

  async send(batch: { raw: JsonMessage[]; dlq: JsonMessage[] }): Promise<void> {
    await Promise.all([this.sendTopic(this.topics.raw, batch.raw), this.sendTopic(this.topics.dlq, batch.dlq)]);
  }

  private async sendTopic(topic: string, messages: JsonMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const stopTimer = this.opts.metrics?.produceDuration.startTimer({ topic });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeoutMs = this.opts.timeoutMs;
      // Given up at the timeout: a send still waiting for the producer's turn is then not sent at all
      // (the client was answered 503 and sends again), instead of queuing ahead of newer requests.
      const givenUp = new AbortController();
      const send = produceJson(this.producer, topic, messages, {
        maxBatchBytes: this.budgetFor(topic),
        signal: givenUp.signal,
      });
      if (timeoutMs === undefined) {
        await send;
      } else {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            givenUp.abort();
            reject(new Error(`no acknowledgement from Kafka within ${timeoutMs} ms`));
          }, timeoutMs);
        });
        send.catch(() => undefined); // a late failure after the timeout must not go unhandled
        await Promise.race([send, timeout]);
      }
      stopTimer?.();
    } catch (err) {
      this.opts.metrics?.produceFailures.inc({ topic });
      if (err instanceof RecordTooLargeError)
        throw new MessageTooLargeError(
          `one message for ${topic} takes ${err.bytes} bytes; Kafka accepts at most ${err.budget} per batch`,
          { topic, message: messages[err.index]!, bytes: err.bytes, budget: err.budget },
          { cause: err },
        );
      if (isTooLargeError(err))
        throw new MessageTooLargeError(
          `Kafka refused the batch for ${topic} as too large: ${(err as Error).message}`,
          undefined,
          {
            cause: err,
          },
        );
      throw new KafkaUnavailableError(
        `Kafka did not acknowledge ${messages.length} message(s) on ${topic}: ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
