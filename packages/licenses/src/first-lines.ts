/**
 * The line each key was first given on, for an import's duplicate check, in 40-80 bytes a key outside
 * V8's heap. A Map of the keys took ~115 B a row on the heap, so a 50 MB inventory's check alone
 * neared a 48 MB heap (packages/licenses/test/import-large.test.ts). Each key is kept as the first
 * 128 bits of its SHA-256 (two different keys match by accident with a probability of about
 * n² / 2¹²⁹: 10⁻²⁷ for a million rows) in an open-addressing table of typed arrays.
 */
import { createHash } from 'node:crypto';

/** Uint32 words per slot: four of digest, one of line (0: empty; lines start at 1). */
const WORDS = 5;
const INITIAL_SLOTS = 1024;

export class FirstLines {
  private slots = new Uint32Array(INITIAL_SLOTS * WORDS);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The line `key` was first set with, or undefined. */
  get(key: string): number | undefined {
    const d = digest(key);
    const at = this.find(this.slots, d);
    const line = this.slots[at + 4]!;
    return line === 0 ? undefined : line;
  }

  /** Records `key`'s first line (a key already recorded keeps its first). `line` ≥ 1. */
  set(key: string, line: number): void {
    if (!Number.isInteger(line) || line < 1 || line > 0xffffffff) throw new RangeError(`line ${line} out of range`);
    const d = digest(key);
    const at = this.find(this.slots, d);
    if (this.slots[at + 4] !== 0) return;
    this.slots.set(d, at);
    this.slots[at + 4] = line;
    this.count++;
    // At most half full: linear probing stays short.
    if (this.count * 2 > this.slots.length / WORDS) this.grow();
  }

  /** The slot (word offset) holding `d`, or the empty one where it goes. */
  private find(slots: Uint32Array, d: Uint32Array): number {
    const n = slots.length / WORDS;
    for (let i = d[0]! % n; ; i = (i + 1) % n) {
      const at = i * WORDS;
      if (slots[at + 4] === 0) return at;
      if (slots[at] === d[0] && slots[at + 1] === d[1] && slots[at + 2] === d[2] && slots[at + 3] === d[3]) return at;
    }
  }

  private grow(): void {
    const old = this.slots;
    const slots = new Uint32Array(old.length * 2);
    for (let at = 0; at < old.length; at += WORDS) {
      if (old[at + 4] === 0) continue;
      const to = this.find(slots, old.subarray(at, at + 4));
      slots.set(old.subarray(at, at + WORDS), to);
    }
    this.slots = slots;
  }
}

/** The first 128 bits of the key's SHA-256, as four words. */
function digest(key: string): Uint32Array {
  const bytes = createHash('sha256').update(key).digest();
  return new Uint32Array([bytes.readUInt32LE(0), bytes.readUInt32LE(4), bytes.readUInt32LE(8), bytes.readUInt32LE(12)]);
}
