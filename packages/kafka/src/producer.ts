import type { Kafka, Producer } from 'kafkajs';
import { keepSetPartition } from './partition';
import { rememberClient, sendAcknowledged } from './acknowledged-send';
import { renewingProducer } from './renewed-producer';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, chunkByBytes, produceBudget, recordBytes } from './limits';

export interface JsonMessage {
  key: string;
  value: unknown;
  headers?: Record<string, string>;
  /** The partition to write to instead of the key's (a replayed event goes back to its own partition). */
  partition?: number;
}

/**
 * An idempotent producer (acks from all in-sync replicas), so a retried send after a network error
 * does not write the message twice into the log; after a send that failed, the next one uses a new
 * kafkajs producer (renewed-producer.ts: the failed one's sequence numbers could get a later send
 * acknowledged and not written). Send with `produceJson` or `sendAcknowledged`, never its own
 * `send`/`sendBatch`: those can lose messages when a broker of a cluster fails (acknowledged-send.ts),
 * and are not renewed.
 */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  const producer = await renewingProducer(async () => {
    const made = kafka.producer({
      idempotent: true,
      // Murmur2 like the Java client, so keys land where other Kafka tools expect them; sendAcknowledged
      // sets each message's partition itself, which this partitioner keeps.
      createPartitioner: keepSetPartition,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await made.connect();
    return made;
  });
  rememberClient(producer, kafka);
  return producer;
}

export interface ProduceOptions {
  /**
   * Bytes of records one produce call may carry (`produceBudget(maxMessageBytes)`); larger lists
   * are sent as consecutive calls, in order. Default: the budget for Kafka's default 1 MB limit.
   */
  maxBatchBytes?: number;
  /** Aborted when the caller gives up (a timeout): what still waits for its turn is not sent. */
  signal?: AbortSignal;
}

/**
 * Sends JSON values to one topic and resolves only when Kafka acknowledged all of them. The list is
 * cut into produce calls of at most `maxBatchBytes` (sent one after another, so per-key order
 * holds); a single record larger than that throws RecordTooLargeError before anything is sent.
 */
export async function produceJson(
  producer: Producer,
  topic: string,
  messages: JsonMessage[],
  opts: ProduceOptions = {},
): Promise<void> {
  if (messages.length === 0) return;
  const records = messages.map((m) => ({
    key: m.key,
    value: JSON.stringify(m.value),
    ...(m.headers ? { headers: m.headers } : {}),
    ...(m.partition !== undefined ? { partition: m.partition } : {}),
  }));
  const budget = opts.maxBatchBytes ?? produceBudget(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
  for (const chunk of chunkByBytes(records, budget, recordBytes)) {
    await sendAcknowledged(producer, [{ topic, messages: chunk }], opts.signal);
  }
}
