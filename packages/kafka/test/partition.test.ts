import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { keepSetPartition, murmur2, partitionOfKey } from '../src/partition';
import { partitionMetadata as metadata } from './partition-metadata';

/** kafkajs' own DefaultPartitioner (its murmur2 in 64-bit Longs): the reference. */
const reference = Partitioners.DefaultPartitioner();

function keys(): (string | Buffer)[] {
  const out: (string | Buffer)[] = ['', 'a', 'ab', 'abc', 'abcd', 'd1|stu-000563', 'extension', '100:48069'];
  for (let i = 0; i < 8_000; i++) {
    const bytes = randomBytes(i % 41);
    out.push(bytes); // every length class mod 4, bytes ≥ 0x80 included
    out.push(bytes.toString('hex')); // ASCII strings
    out.push(`d${i % 7}|${bytes.toString('base64')}`);
  }
  // Strings that are not ASCII: hashed as their UTF-8 bytes.
  out.push('élève|ü', 'd1|學生', 'd1|😀x', '\u0080', '\u007f');
  return out;
}

test('murmur2 and the partition of a key equal kafkajs DefaultPartitioner for every key and partition count', () => {
  let compared = 0;
  const differences: unknown[] = [];
  for (const key of keys()) {
    for (const n of [1, 3, 6, 7, 12, 50]) {
      const expected = reference({ topic: 't', partitionMetadata: metadata(n), message: { key, value: null } });
      const got = partitionOfKey(key, n);
      if (got !== expected && differences.length < 10) differences.push({ key, n, got, expected });
      compared++;
    }
  }
  expect(differences).toEqual([]);
  expect(compared).toBeGreaterThan(140_000);
});

test('murmur2 of a string is the murmur2 of its UTF-8 bytes (Java and kafkajs hash the bytes)', () => {
  for (const s of ['', 'abc', 'd1|stu-1', 'élève', '學生', '😀', 'a\u0080b'])
    expect(murmur2(s)).toBe(murmur2(Buffer.from(s, 'utf8')));
  // The Java client's value for a known key (its Utils.murmur2 test vector set: "21" → -973932308).
  expect(murmur2('21')).toBe(-973932308);
});

test('keepSetPartition keeps a set partition and otherwise partitions as kafkajs does', () => {
  const partitioner = keepSetPartition();
  const partitionMetadata = metadata(6);
  expect(partitioner({ topic: 't', partitionMetadata, message: { key: 'k', value: null, partition: 4 } })).toBe(4);
  expect(partitioner({ topic: 't', partitionMetadata, message: { key: 'k', value: null, partition: 0 } })).toBe(0);
  const keyed = { key: 'd1|stu-000563', value: null };
  expect(partitioner({ topic: 't', partitionMetadata, message: keyed })).toBe(
    reference({ topic: 't', partitionMetadata, message: keyed }),
  );
});
