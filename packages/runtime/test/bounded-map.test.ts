import { BoundedMap } from '../src/bounded-map';

test('keeps up to max entries, forgets them all when a new key would exceed it, and never more', () => {
  const m = new BoundedMap<string, number>(3);
  for (const [k, v] of [
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ] as const)
    expect(m.set(k, v)).toBe(v);
  expect([m.size, m.get('a'), m.get('c')]).toEqual([3, 1, 3]);
  // A key already kept is replaced in place: nothing forgotten.
  m.set('b', 20);
  expect([m.size, m.get('a'), m.get('b')]).toEqual([3, 1, 20]);
  // The fourth key: the others go, it stays.
  m.set('d', 4);
  expect([m.size, m.has('a'), m.has('b'), m.has('c'), m.get('d')]).toEqual([1, false, false, false, 4]);
  for (let i = 0; i < 1000; i++) {
    m.set(`k${i}`, i);
    expect(m.size).toBeLessThanOrEqual(3);
  }
  expect(m.delete(`k999`)).toBe(true);
  expect(m.has('k999')).toBe(false);
});

test('refuses a bound that is not a whole number of at least one', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new BoundedMap(bad)).toThrow(/max must be a whole number/);
});
