import type { Consumer, Kafka } from 'kafkajs';

export interface ConsumerOptions {
  /** Upper bound on bytes fetched per partition per request; bounds batch size and memory. */
  maxBytesPerPartition?: number;
  /** Upper bound on bytes of one fetch response over all partitions (kafkajs' default: 10 MiB). */
  maxBytes?: number;
  sessionTimeout?: number;
  /** A fetch waits for this many bytes (or maxWaitTimeInMs): fewer, larger batches downstream. */
  minBytes?: number;
  maxWaitTimeInMs?: number;
}

/**
 * A group consumer with settings that keep a slow batch from costing the group membership:
 * a session timeout well above the longest expected batch, and heartbeats every 3 s
 * (batch handlers also call `heartbeat()` while they wait on retries).
 */
export async function createConsumer(kafka: Kafka, groupId: string, opts: ConsumerOptions = {}): Promise<Consumer> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: opts.sessionTimeout ?? 30_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: opts.maxBytesPerPartition ?? 1_048_576,
    ...(opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes }),
    minBytes: opts.minBytes ?? 1,
    maxWaitTimeInMs: opts.maxWaitTimeInMs ?? 5_000,
    allowAutoTopicCreation: false,
    retry: { initialRetryTime: 300, retries: 10 },
  });
  await consumer.connect();
  return consumer;
}
