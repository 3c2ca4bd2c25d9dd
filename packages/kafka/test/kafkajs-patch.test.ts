/**
 * patches/kafkajs@2.2.4.patch (pnpm patchedDependencies) changes three hot spots of kafkajs 2.2.4's
 * producer path without changing a byte it sends: the grouping of a send by partition (one pass, not
 * a quadratic reduce), the encoder's varints (written in place; 32-bit values without Long
 * objects) and its buffers (unzeroed, a record's and a batch's sized up front, large encoders chained
 * rather than copied into the request), and the record batch's CRC-32C (eight bytes a step). These
 * tests hold the patched modules
 * to answers computed here, independently.
 */
import type { PartitionMetadata } from 'kafkajs';
import { keepSetPartition, partitionOfKey } from '../src/partition';
import { partitionMetadata as metadata } from './partition-metadata';

test("kafkajs' grouping of a send by partition (patched to one pass) keeps every message in order", () => {
  // patches/kafkajs@2.2.4.patch replaces this module's quadratic reduce; the answer must not change.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const group = require('kafkajs/src/producer/groupMessagesPerPartition') as (args: {
    topic: string;
    partitionMetadata: PartitionMetadata[];
    messages: { key: string; value: string; partition?: number }[];
    partitioner: ReturnType<typeof keepSetPartition>;
  }) => Record<string, { key: string }[]>;
  const partitionMetadata = metadata(6);
  const messages = Array.from({ length: 3_000 }, (_, i) => ({ key: `d1|stu-${i % 250}`, value: String(i) }));
  const grouped = group({ topic: 't', partitionMetadata, messages, partitioner: keepSetPartition() });
  const expected: Record<string, { key: string }[]> = {};
  for (const m of messages) (expected[partitionOfKey(m.key, 6)] ??= []).push(m);
  expect(grouped).toEqual(expected);
  expect(group({ topic: 't', partitionMetadata: [], messages, partitioner: keepSetPartition() })).toEqual({});
});

/** Kafka's zigzag varint of an integer (the protocol's varint and varlong), computed with BigInt. */
function zigzagVarint(value: number): Buffer {
  const v = BigInt(value);
  let z = v >= 0n ? v * 2n : -v * 2n - 1n;
  const bytes: number[] = [];
  while (z >= 0x80n) {
    bytes.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  bytes.push(Number(z));
  return Buffer.from(bytes);
}

interface KafkaEncoder {
  writeVarInt(v: number): KafkaEncoder;
  writeVarLong(v: number): KafkaEncoder;
  writeInt8(v: number): KafkaEncoder;
  readonly buffer: Buffer;
}

test("kafkajs' encoder (patched varints) writes Kafka's zigzag varints and sizes them right", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Encoder = require('kafkajs/src/protocol/encoder') as {
    new (): KafkaEncoder;
    sizeOfVarInt(v: number): number;
    sizeOfVarLong(v: number): number;
  };
  const values = [
    0,
    1,
    -1,
    63,
    64,
    -64,
    -65,
    8191,
    8192,
    2 ** 30 - 1,
    2 ** 30,
    2 ** 31 - 1,
    -(2 ** 31),
    -(2 ** 30) - 1,
  ];
  const longs = [
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 32,
    2 ** 40,
    -(2 ** 40),
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
  ];
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 0) / 2 ** 32;
  for (let i = 0; i < 20_000; i++) values.push(Math.trunc((random() - 0.5) * 2 ** (1 + random() * 31)) | 0);
  for (let i = 0; i < 2_000; i++) longs.push(Math.trunc((random() - 0.5) * 2 ** (32 + random() * 20)));
  const wrong: unknown[] = [];
  for (const v of values) {
    const expected = zigzagVarint(v);
    if (!new Encoder().writeVarInt(v).buffer.equals(expected)) wrong.push({ writeVarInt: v });
    if (!new Encoder().writeVarLong(v).buffer.equals(expected)) wrong.push({ writeVarLong: v });
    if (Encoder.sizeOfVarInt(v) !== expected.length) wrong.push({ sizeOfVarInt: v });
    if (Encoder.sizeOfVarLong(v) !== expected.length) wrong.push({ sizeOfVarLong: v });
  }
  for (const v of longs) {
    const expected = zigzagVarint(v);
    if (!new Encoder().writeVarLong(v).buffer.equals(expected)) wrong.push({ writeVarLong: v });
    if (Encoder.sizeOfVarLong(v) !== expected.length) wrong.push({ sizeOfVarLong: v });
  }
  expect(wrong.slice(0, 10)).toEqual([]);
  // Written one after another into a growing buffer, nothing overlaps or is lost.
  const stream = new Encoder();
  const parts: Buffer[] = [];
  for (let i = 0; i < 5_000; i++) {
    const a = i * 7919 - 5_000_000;
    stream
      .writeVarInt(a)
      .writeVarLong(i * 13)
      .writeInt8(1);
    parts.push(zigzagVarint(a), zigzagVarint(i * 13), Buffer.from([1]));
  }
  expect(stream.buffer.equals(Buffer.concat(parts))).toBe(true);
});

/** Kafka's record (v2 record batch) encoded here: length, attributes, timestamp delta, offset delta, key, value, headers. */
function kafkaRecord(r: {
  offsetDelta: number;
  timestampDelta: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}): Buffer {
  const bytes = (text: string | null) =>
    text === null ? zigzagVarint(-1) : Buffer.concat([zigzagVarint(Buffer.byteLength(text)), Buffer.from(text)]);
  const headers = Object.entries(r.headers);
  const body = Buffer.concat([
    Buffer.from([0]),
    zigzagVarint(r.timestampDelta),
    zigzagVarint(r.offsetDelta),
    bytes(r.key),
    bytes(r.value),
    zigzagVarint(headers.length),
    ...headers.flatMap(([k, v]) => [bytes(k), bytes(v)]),
  ]);
  return Buffer.concat([zigzagVarint(body.length), body]);
}

test("kafkajs' records (patched: unzeroed buffers, sized up front) are Kafka's bytes, whatever memory held before", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: object) => KafkaEncoder;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Encoder = require('kafkajs/src/protocol/encoder') as new () => KafkaEncoder & {
    writeEncoder(e: KafkaEncoder): KafkaEncoder;
  };
  const records = Array.from({ length: 3_000 }, (_, i) => ({
    offsetDelta: i,
    timestampDelta: i % 7 === 0 ? 2 ** 33 + i : i * 3,
    key: i % 11 === 0 ? null : `d1|stu-${i}`,
    // Up to ~22 KiB: records below and above Node's 4 KiB pooled size, and multi-byte characters.
    value: `{"n":${i},"t":"${'é€𝄞x'.repeat((i * 37) % 2_300)}"}`,
    headers: (i % 5 === 0 ? { source: 'netref', 'trace-id': `t${i}` } : {}) as Record<string, string>,
  }));
  // Every unzeroed buffer comes full of 0xAA (what it holds is otherwise luck): a byte the encoder
  // skipped would show, a zero byte included.
  const allocUnsafe = Buffer.allocUnsafe.bind(Buffer);
  const dirty = jest.spyOn(Buffer, 'allocUnsafe').mockImplementation((size: number) => allocUnsafe(size).fill(0xaa));
  try {
    const whole = new Encoder();
    const expected: Buffer[] = [];
    for (const r of records) {
      const encoded = Record(r);
      expect(encoded.buffer.equals(kafkaRecord(r))).toBe(true);
      whole.writeEncoder(encoded);
      expected.push(kafkaRecord(r));
    }
    expect(whole.buffer.equals(Buffer.concat(expected))).toBe(true);
    expect(dirty).toHaveBeenCalled();
  } finally {
    dirty.mockRestore();
  }
});

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) a bit at a time, as its definition reads. */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test("kafkajs' record batch CRC-32C (patched to eight bytes a step) is the checksum Kafka verifies", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
  // The standard check value of CRC-32C.
  expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
  const data = Buffer.alloc(70_000);
  let seed = 11;
  for (let i = 0; i < data.length; i++) data[i] = (seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 24;
  const wrong: unknown[] = [];
  // Every length up to 64 at every start modulo 8 (the 8-byte steps and the byte-a-step tail), then long ones.
  for (let start = 0; start < 8; start++) {
    for (let length = 0; length <= 64; length++) {
      const slice = data.subarray(start, start + length);
      if (crc32C(slice) !== crc32cBitwise(slice)) wrong.push({ start, length });
    }
  }
  for (const length of [1_000, 4_096, 65_537, 69_993]) {
    const slice = data.subarray(3, 3 + length);
    if (crc32C(slice) !== crc32cBitwise(slice)) wrong.push({ start: 3, length });
  }
  expect(wrong).toEqual([]);
});

/** Big-endian fixed-width integers, as the Kafka protocol writes them. */
const fixed = (size: number, write: (b: Buffer) => void): Buffer => {
  const b = Buffer.alloc(size);
  write(b);
  return b;
};
const int = {
  i8: (v: number) => Buffer.from([v]),
  i16: (v: number) => fixed(2, (b) => b.writeInt16BE(v)),
  i32: (v: number) => fixed(4, (b) => b.writeInt32BE(v)),
  u32: (v: number) => fixed(4, (b) => b.writeUInt32BE(v)),
  i64: (v: number) => fixed(8, (b) => b.writeBigInt64BE(BigInt(v))),
};
const kafkaString = (s: string) => Buffer.concat([int.i16(Buffer.byteLength(s)), Buffer.from(s)]);

interface ProduceMessage {
  key: string | null;
  value: string;
  timestamp: number;
  headers: Record<string, string>;
}
type ProduceTopics = {
  topic: string;
  partitions: { partition: number; firstSequence: number; messages: ProduceMessage[] }[];
}[];

/** A whole Produce v3 request as sent on the wire (size, header, body), encoded here from the protocol's definition. */
function kafkaProduceRequest(
  correlationId: number,
  clientId: string,
  acks: number,
  timeout: number,
  topics: ProduceTopics,
): Buffer {
  const recordSet = (firstSequence: number, messages: ProduceMessage[]) => {
    const first = Math.min(...messages.map((m) => m.timestamp));
    const max = Math.max(...messages.map((m) => m.timestamp));
    const body = Buffer.concat([
      int.i16(0), // attributes: no compression, not transactional
      int.i32(messages.length - 1),
      int.i64(first),
      int.i64(max),
      int.i64(-1), // producer id
      int.i16(0), // producer epoch
      int.i32(firstSequence),
      int.i32(messages.length),
      ...messages.map((m, i) =>
        kafkaRecord({
          offsetDelta: i,
          timestampDelta: m.timestamp - first,
          key: m.key,
          value: m.value,
          headers: m.headers,
        }),
      ),
    ]);
    const batch = Buffer.concat([int.i32(0), int.i8(2), int.u32(crc32cBitwise(body)), body]);
    return Buffer.concat([int.i64(0), int.i32(batch.length), batch]);
  };
  const body = Buffer.concat([
    int.i16(-1), // transactional id: null
    int.i16(acks),
    int.i32(timeout),
    int.i32(topics.length),
    ...topics.flatMap((t) => [
      kafkaString(t.topic),
      int.i32(t.partitions.length),
      ...t.partitions.flatMap((p) => {
        const set = recordSet(p.firstSequence, p.messages);
        return [int.i32(p.partition), int.i32(set.length), set];
      }),
    ]),
  ]);
  const payload = Buffer.concat([int.i16(0), int.i16(3), int.i32(correlationId), kafkaString(clientId), body]);
  return Buffer.concat([int.i32(payload.length), payload]);
}

test("kafkajs' produce requests (patched: large encoders chained, joined once) are Kafka's bytes", async () => {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const Encoder = require('kafkajs/src/protocol/encoder') as { CHAIN_MIN_BYTES: number };
  const frame = require('kafkajs/src/protocol/request') as (r: object) => Promise<{ buffer: Buffer; size(): number }>;
  const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request') as (r: object) => object;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const t0 = 1_796_000_000_000;
  const messages = (n: number, seed: number, big = false): ProduceMessage[] =>
    Array.from({ length: n }, (_, i) => ({
      key: i % 13 === 0 ? null : `d${seed}|stu-${i}`,
      // A few values of 20–40 KiB: records that are themselves chained into their batch.
      value:
        big && i % 50 === 7 ? 'v'.repeat(20_000 + i * 40) : `{"seed":${seed},"i":${i},"t":"${'é'.repeat(i % 90)}"}`,
      timestamp: t0 + ((i * 7919 + seed) % 100_000),
      headers: (i % 9 === 0 ? { source: 'oneroster' } : {}) as Record<string, string>,
    }));
  const topics: ProduceTopics = [
    {
      topic: 'usage.enriched',
      partitions: [
        { partition: 0, firstSequence: 0, messages: messages(3_000, 1) }, // ~200 KiB: chained
        { partition: 3, firstSequence: 41, messages: messages(2, 2) }, // tiny: copied
        { partition: 5, firstSequence: 7, messages: messages(400, 3, true) },
      ],
    },
    { topic: 'usage.dlq', partitions: [{ partition: 1, firstSequence: 2, messages: messages(5, 4) }] },
  ];
  const expected = kafkaProduceRequest(17, 'edusage-enrich', -1, 30_000, topics);
  const encode = async () =>
    frame({
      correlationId: 17,
      clientId: 'edusage-enrich',
      request: produceV3({ acks: -1, timeout: 30_000, topicData: topics }),
    });
  const original = Encoder.CHAIN_MIN_BYTES;
  try {
    // The patch's default, every encoder chained, and none (kafkajs' own copying) give the same bytes.
    for (const chainMinBytes of [original, 1, Number.POSITIVE_INFINITY]) {
      Encoder.CHAIN_MIN_BYTES = chainMinBytes;
      const request = await encode();
      expect(request.size()).toBe(expected.length);
      expect(request.buffer.equals(expected)).toBe(true);
      // Read twice (kafkajs reads it for its instrumentation, then writes it): the same bytes.
      expect(request.buffer.equals(expected)).toBe(true);
    }
  } finally {
    Encoder.CHAIN_MIN_BYTES = original;
  }
});
