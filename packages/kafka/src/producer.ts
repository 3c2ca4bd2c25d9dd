import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';

export interface JsonMessage {
  key: string;
  value: unknown;
  headers?: Record<string, string>;
}

/**
 * An idempotent producer (acks from all in-sync replicas), so a retried send after a network error
 * does not write the message twice into the log.
 */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    // Murmur2 like the Java client, so keys land where other Kafka tools expect them.
    createPartitioner: Partitioners.DefaultPartitioner,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return producer;
}

/** Sends JSON values to one topic and resolves only when Kafka acknowledged all of them. */
export async function produceJson(producer: Producer, topic: string, messages: JsonMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await producer.send({
    topic,
    acks: -1,
    compression: CompressionTypes.None,
    messages: messages.map((m) => ({
      key: m.key,
      value: JSON.stringify(m.value),
      ...(m.headers ? { headers: m.headers } : {}),
    })),
  });
}
