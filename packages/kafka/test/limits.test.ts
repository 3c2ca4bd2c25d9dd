import { RecordTooLargeError, chunkByBytes, produceBudget, recordBytes } from '../src/limits';

describe('recordBytes', () => {
  test('counts UTF-8 bytes of key, value and headers, not string length', () => {
    const ascii = recordBytes({ key: 'k', value: 'abc' });
    // '中' is one UTF-16 unit but three UTF-8 bytes; '😀' is two units and four bytes.
    expect(recordBytes({ key: 'k', value: '中中中' }) - ascii).toBe(6);
    expect(recordBytes({ key: '😀', value: 'abc' }) - ascii).toBe(3);
    expect(recordBytes({ key: 'k', value: 'abc', headers: { h: 'vv' } }) - ascii).toBeGreaterThanOrEqual(3);
    expect(recordBytes({ key: null, value: Buffer.alloc(10) })).toBe(recordBytes({ value: 'x'.repeat(10) }));
  });
});

describe('chunkByBytes', () => {
  const size = (n: number) => n;
  test('keeps order and never exceeds the budget', () => {
    const items = [4, 4, 2, 5, 1, 1, 10, 3];
    const chunks = chunkByBytes(items, 10, size);
    expect(chunks.flat()).toEqual(items);
    expect(chunks).toEqual([[4, 4, 2], [5, 1, 1], [10], [3]]);
  });
  test('an item larger than the budget alone is named by its position', () => {
    expect(() => chunkByBytes([1, 2, 11, 1], 10, size)).toThrow(RecordTooLargeError);
    try {
      chunkByBytes([1, 2, 11, 1], 10, size);
    } catch (err) {
      expect(err).toMatchObject({ index: 2, bytes: 11, budget: 10 });
    }
  });
  test('empty input gives no chunks; the budget leaves room for the batch header', () => {
    expect(chunkByBytes([], 10, size)).toEqual([]);
    expect(produceBudget(1_048_588)).toBeLessThan(1_048_588 - 61);
  });
});
