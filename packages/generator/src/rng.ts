/**
 * Seeded pseudo-random numbers. mulberry32 (public domain, Tommy Ettinger): 32-bit state, fast, good
 * enough for sample data (not for anything secret). Every stream is derived from the seed and a
 * label with `hash32`, so one part of the district (a user's day, say) does not shift when another
 * part changes.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Index chosen with probability proportional to its weight (weights ≥ 0, at least one > 0). */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new Error('weights must not all be zero');
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    // Rounding: the last positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] as number) > 0) return i;
    return 0;
  }

  /** Fisher-Yates on a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}

/** murmur3-style 32-bit finalizer: a bijection on 32-bit integers. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of a list of numbers and strings (FNV-1a over their text, then mixed). */
export function hash32(...parts: Array<number | string>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = typeof part === 'number' ? `#${part}` : `$${part}`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x7c;
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** A stream for one labelled part of the generation. */
export function rngFor(seed: number, ...label: Array<number | string>): Rng {
  return new Rng(hash32(seed, ...label));
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (n: number): string =>
  HEX2[(n >>> 24) & 255]! + HEX2[(n >>> 16) & 255]! + HEX2[(n >>> 8) & 255]! + HEX2[n & 255]!;

/**
 * A UUID-shaped (version 4 layout) id that is unique per (namespace, a, b) as long as a < 2^32 and
 * b < 2^16: the last 48 bits are a bijective mix of `a` plus `b`, so no two counters collide.
 */
export function deterministicUuid(namespace: number, a: number, b: number): string {
  const n1 = hex8(namespace);
  const h = hash32(namespace, 'uuid');
  const tail = hex8(mix32(a ^ h)) + (b & 0xffff).toString(16).padStart(4, '0');
  const mid = hex8(hash32(h, a, b));
  const v = hash32(a, b, h);
  return `${n1}-${mid.slice(0, 4)}-4${mid.slice(4, 7)}-${'89ab'[v & 3]}${hex8(v).slice(0, 3)}-${tail}`;
}
