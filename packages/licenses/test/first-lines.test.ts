/** FirstLines (the import's duplicate check) against a Map of the same keys. */
import { FirstLines } from '../src/first-lines';

test('keeps the first line of each key, through the table growing many times', () => {
  const lines = new FirstLines();
  const reference = new Map<string, number>();
  // 50,000 distinct keys given twice each, interleaved, plus look-ups of keys never given.
  const wrong: string[] = [];
  for (let i = 0; i < 100_000; i++) {
    const key = `L${String(i % 50_000).padStart(7, '0')}`;
    const line = i + 2;
    if (lines.get(key) !== reference.get(key)) wrong.push(`before set ${key}`);
    lines.set(key, line);
    if (!reference.has(key)) reference.set(key, line);
    if (lines.get(`never-${i}`) !== undefined) wrong.push(`never-${i}`);
  }
  for (const [key, line] of reference) if (lines.get(key) !== line) wrong.push(key);
  expect(wrong).toEqual([]);
  expect(lines.size).toBe(50_000);
});

test('tells keys apart that differ in case, unicode or by a prefix', () => {
  const lines = new FirstLines();
  const keys = ['a', 'A', 'ab', 'a b', 'é', 'e\u0301', '', ' a', 'a '];
  keys.forEach((k, i) => lines.set(k, i + 1));
  expect(keys.map((k) => lines.get(k))).toEqual(keys.map((_, i) => i + 1));
});

test('refuses a line it cannot hold', () => {
  const lines = new FirstLines();
  expect(() => lines.set('x', 0)).toThrow(RangeError);
  expect(() => lines.set('x', 1.5)).toThrow(RangeError);
  expect(lines.get('x')).toBeUndefined();
});
