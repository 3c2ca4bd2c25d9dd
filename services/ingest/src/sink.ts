import type { Producer } from 'kafkajs';
import { produceJson, type JsonMessage } from '@edusage/kafka';
import type { TopicNames } from '@edusage/config';
import type { IngestMetrics } from './metrics';

/** Thrown when Kafka did not acknowledge a batch (error or timeout): the HTTP answer is 503. */
export class KafkaUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaUnavailableError';
  }
}

/** Where accepted events and dead letters go. Resolves only once Kafka acknowledged every message. */
export interface EventSink {
  send(batch: { raw: JsonMessage[]; dlq: JsonMessage[] }): Promise<void>;
}

/**
 * The Kafka sink: the idempotent producer (acks=all) writes accepted events to `usage.raw` and
 * rejected items to `usage.dlq`. Both sends run side by side; the promise resolves when both are
 * acknowledged and rejects (KafkaUnavailableError) when either fails or outlives `timeoutMs`.
 * A failed batch may still have been written in part: the caller answers 503, the client retries,
 * and the copies are removed downstream by dedup_key (delivery is at-least-once by design).
 */
export class KafkaSink implements EventSink {
  constructor(
    private readonly producer: Producer,
    private readonly topics: Pick<TopicNames, 'raw' | 'dlq'>,
    private readonly opts: { metrics?: IngestMetrics; timeoutMs?: number } = {},
  ) {}

  async send(batch: { raw: JsonMessage[]; dlq: JsonMessage[] }): Promise<void> {
    await Promise.all([this.sendTopic(this.topics.raw, batch.raw), this.sendTopic(this.topics.dlq, batch.dlq)]);
  }

  private async sendTopic(topic: string, messages: JsonMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const stopTimer = this.opts.metrics?.produceDuration.startTimer({ topic });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeoutMs = this.opts.timeoutMs;
      const send = produceJson(this.producer, topic, messages);
      if (timeoutMs === undefined) {
        await send;
      } else {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no acknowledgement from Kafka within ${timeoutMs} ms`)),
            timeoutMs,
          );
        });
        send.catch(() => undefined); // a late failure after the timeout must not go unhandled
        await Promise.race([send, timeout]);
      }
      stopTimer?.();
    } catch (err) {
      this.opts.metrics?.produceFailures.inc({ topic });
      throw new KafkaUnavailableError(
        `Kafka did not acknowledge ${messages.length} message(s) on ${topic}: ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
