/**
 * A Map that forgets everything at once when a new key would make it hold more than `max` entries.
 * Memory stays bounded with no bookkeeping on a hit. Use it for memos of values that are cheap to
 * compute again (a day's text, a pseudonym, a host's app, a token's principal). Recomputing them all
 * now and then costs less than an LRU's upkeep on every hit.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`BoundedMap: max must be a whole number ≥ 1, got ${max}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Keeps `value` for `key` (forgetting every other entry first when full) and returns it. */
  set(key: K, value: V): V {
    if (this.entries.size >= this.max && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }
}
