import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`, which kafkajs' DefaultPartitioner also
 * computes), in 32-bit integer arithmetic. kafkajs computes it with a 64-bit Long object per step:
 * in a profile of ingest that was the largest single source of garbage (about 3.5 KB per event).
 * Same answers (partition.test.ts compares them with kafkajs' own partitioner).
 */
export function murmur2(key: string | Buffer): number {
  if (typeof key === 'string') {
    // Keys are ASCII in practice (district|person, a source name): hash their char codes directly
    // instead of allocating their UTF-8 bytes.
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return murmur2Bytes(Buffer.from(key, 'utf8'));
    return murmur2Bytes(key);
  }
  return murmur2Bytes(key);
}

const SEED = 0x9747b28c | 0;
const M = 0x5bd1e995;

/** Byte `i` of a Buffer, or of an ASCII string (its char code). */
function byteAt(data: string | Buffer, i: number): number {
  return typeof data === 'string' ? data.charCodeAt(i) : data[i]!;
}

function murmur2Bytes(data: string | Buffer): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = byteAt(data, i) | (byteAt(data, i + 1) << 8) | (byteAt(data, i + 2) << 16) | (byteAt(data, i + 3) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last 1–3 bytes (Java's switch falls through its cases).
  const rest = length & 3;
  if (rest === 3) h ^= byteAt(data, whole + 2) << 16;
  if (rest >= 2) h ^= byteAt(data, whole + 1) << 8;
  if (rest >= 1) h = Math.imul(h ^ byteAt(data, whole), M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a keyed message among `partitions`, as Kafka's default partitioner chooses it. */
export function partitionOfKey(key: string | Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/**
 * The partitioner of our producers and of `sendAcknowledged`, kafkajs' DefaultPartitioner's rule
 * without its cost: a partition already set is kept (every send of `sendAcknowledged` sets it); a
 * keyed message goes to the murmur2 of its key (`partitionOfKey`); a keyless one to kafkajs' own
 * round robin. (kafkajs' partitioner builds a list of the topic's available partitions for every
 * message, and hashes with Long objects.)
 */
export const keepSetPartition: ICustomPartitioner = () => {
  const roundRobin = Partitioners.DefaultPartitioner();
  return (args) => {
    const { partition, key } = args.message;
    if (partition !== undefined && partition !== null) return partition;
    return key === null || key === undefined ? roundRobin(args) : partitionOfKey(key, args.partitionMetadata.length);
  };
};
