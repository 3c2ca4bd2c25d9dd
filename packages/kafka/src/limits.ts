import { ConfigResourceTypes, type Kafka } from 'kafkajs';

/** Kafka's default `message.max.bytes` (broker) / `max.message.bytes` (topic). */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * Worst-case bytes a record adds around its key, value and headers in a v2 record batch: length,
 * attributes, timestamp delta, offset delta, key length, value length and header count, each a varint.
 */
const RECORD_OVERHEAD_BYTES = 40;
/** Per header: key length and value length varints. */
const HEADER_OVERHEAD_BYTES = 10;
/** The record batch header (61 bytes) plus a margin, so a full chunk never touches the limit. */
const BATCH_OVERHEAD_BYTES = 512;

export interface SizedRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
}

/** Bytes one record takes in a record batch (UTF-8 bytes, not string length). */
export function recordBytes(record: SizedRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(record.key) + byteLength(record.value);
  // Most records have no headers: no entries array for them (this runs for every message sent).
  if (record.headers)
    for (const [k, v] of Object.entries(record.headers))
      bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(k) + byteLength(v);
  return bytes;
}

function byteLength(v: string | Buffer | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
}

/**
 * Bytes of records one produce call may carry so that no partition's record batch exceeds the
 * broker limit. kafkajs writes one batch per partition per request; bounding the whole call bounds
 * every partition in it (a little conservative when a call spans partitions, never wrong).
 */
export function produceBudget(maxMessageBytes: number): number {
  return Math.max(1, maxMessageBytes - BATCH_OVERHEAD_BYTES);
}

/** One record is larger than a whole produce call may be: the broker would refuse it on every retry. */
export class RecordTooLargeError extends Error {
  constructor(
    /** Position of the record in the list given to `chunkByBytes`. */
    readonly index: number,
    readonly bytes: number,
    readonly budget: number,
  ) {
    super(
      `record ${index} takes ${bytes} bytes; a produce batch may carry at most ${budget} (broker max.message.bytes)`,
    );
    this.name = 'RecordTooLargeError';
  }
}

/**
 * Cuts `items` into consecutive runs (order kept) whose `sizeOf` sum stays within `budget`.
 * Throws RecordTooLargeError for an item that does not fit even alone.
 */
export function chunkByBytes<T>(items: readonly T[], budget: number, sizeOf: (item: T) => number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let used = 0;
  items.forEach((item, index) => {
    const bytes = sizeOf(item);
    if (bytes > budget) throw new RecordTooLargeError(index, bytes, budget);
    if (used + bytes > budget && current.length > 0) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += bytes;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The smallest `max.message.bytes` over `topics`, as the broker reports it (the topic override, or
 * the broker's `message.max.bytes` when the topic has none). Read once at start.
 */
export async function readMaxMessageBytes(kafka: Kafka, topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['max.message.bytes'],
      })),
    });
    const limits = resources.map((r) => {
      const entry = r.configEntries.find((e) => e.configName === 'max.message.bytes');
      const value = Number(entry?.configValue);
      if (!Number.isInteger(value) || value <= 0)
        throw new Error(`topic ${r.resourceName}: no usable max.message.bytes in the broker's answer`);
      return value;
    });
    return Math.min(...limits);
  } finally {
    await admin.disconnect();
  }
}

/** True for the broker's answers that mean "this batch is too large" (permanent: retrying never helps). */
export function isTooLargeError(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const type = (e as { type?: unknown }).type;
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return true;
    if (e instanceof RecordTooLargeError) return true;
    // kafkajs retry wrappers keep the last error in originalError.
    const original = (e as { originalError?: unknown }).originalError;
    if (original instanceof Error && isTooLargeError(original)) return true;
  }
  return false;
}
