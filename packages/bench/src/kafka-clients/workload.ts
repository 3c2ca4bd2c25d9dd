/**
 * What one measurement of `pnpm bench:kafka-clients` runs and what it reports. The parent writes a
 * Workload as JSON into a child process's argv; the child prints one Measurement as JSON on stdout.
 */

import { chunkByBytes, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, produceBudget, recordBytes } from '@edusage/kafka';

export const CLIENTS = ['kafkajs', 'platformatic'] as const;
export type ClientName = (typeof CLIENTS)[number];

/**
 * bare: produce the messages (serialized sends of up to `batchSize`, `sendsOf`) while one group consumer reads them.
 * relay: enrich's shape: a group consumer reads a prefilled topic, parses and re-serializes each
 * value, sends each chunk to an output topic, and commits the chunk's offsets after the send.
 * concurrent-idempotent: two sends in flight on one idempotent producer (does the client allow it?).
 */
export const MODES = ['bare', 'relay', 'concurrent-idempotent'] as const;
export type Mode = (typeof MODES)[number];

export interface Workload {
  client: ClientName;
  mode: Mode;
  brokers: string[];
  /** NDJSON file of {key, value} lines: the RawMessages ingest would write. */
  messagesFile: string;
  events: number;
  batchSize: number;
  /** bare: the topic written and read; relay: the prefilled input topic. */
  topic: string;
  /** relay only: where the re-serialized messages go. */
  outputTopic: string;
  groupId: string;
}

export interface Measurement {
  client: ClientName;
  mode: Mode;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** user + system CPU of the measuring process (client and the same JSON work for both clients). */
  cpuSecondsPer10k: number;
  peakRssMiB: number;
  /** concurrent-idempotent: the error the client gave, if any. */
  error?: string;
}

/** One message of a workload: a RawMessage's JSON and its key. */
export interface KeyedMessage {
  key: string;
  value: string;
}

/**
 * The timed window of a measurement: from the consumer's first join (or, without a consumer, the
 * connected producer) to the last message read or sent, so neither the clients' different join and
 * connect protocols nor their teardown is part of the rate.
 */
export interface Timing {
  joined(): void;
  finished(): void;
}

/** The relay's per-message work, identical for both clients: what enrich does in the small. */
export function relayValue(value: string): string {
  const parsed = JSON.parse(value) as Record<string, unknown>;
  return JSON.stringify({ ...parsed, relayed: true });
}

/**
 * The sends of a list of records: runs of at most `batchSize`, each cut again so no produce request
 * exceeds the broker's default record-batch limit (the services' produceJson cuts by bytes alone). Without the
 * byte cut a relay chunk of one input partition, whose keys all go to one output partition, becomes
 * one record batch: at 5,000 messages of ~700 bytes the broker refuses it (MESSAGE_TOO_LARGE).
 */
export function sendsOf<T extends { key: string; value: string }>(records: readonly T[], batchSize: number): T[][] {
  const budget = produceBudget(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
  const sends: T[][] = [];
  for (let i = 0; i < records.length; i += batchSize) {
    sends.push(...chunkByBytes(records.slice(i, i + batchSize), budget, recordBytes));
  }
  return sends;
}
