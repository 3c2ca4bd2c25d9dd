/**
 * Which compaction generations a run keeps (oldestKeptGeneration, compact.ts): the two newest, and
 * every older one a reader may still hold, for a grace after a newer, at least as valid one was
 * recorded. Pure logic; the drops themselves are tested against ClickHouse in compaction.test.ts and
 * the API's freshness.test.ts.
 */
import { oldestKeptGeneration, type RecordedGeneration } from '../src';

const gen = (generation: number, recordedSecondsAgo: number, invalidations = 0): RecordedGeneration => ({
  generation: BigInt(generation),
  invalidations: BigInt(invalidations),
  recordedSecondsAgo,
});

test('fewer than two recorded: nothing is dropped', () => {
  expect(oldestKeptGeneration([], 600)).toBeUndefined();
  expect(oldestKeptGeneration([gen(1, 5_000)], 600)).toBeUndefined();
});

test('the two newest are kept; an older one goes once superseded longer than the grace', () => {
  // Hourly runs: generation 2 was superseded by 3 an hour ago.
  expect(oldestKeptGeneration([gen(1, 10_800), gen(2, 7_200), gen(3, 3_600), gen(4, 10)], 600)).toBe(3n);
  // Order of the input does not matter.
  expect(oldestKeptGeneration([gen(4, 10), gen(2, 7_200), gen(3, 3_600), gen(1, 10_800)], 600)).toBe(3n);
});

test('two quick runs: the generation they superseded moments ago stays for the grace', () => {
  // 2 was the newest until 3 was recorded 40 s ago; 4 came 10 s ago.
  expect(oldestKeptGeneration([gen(1, 7_200), gen(2, 3_600), gen(3, 40), gen(4, 10)], 600)).toBe(2n);
  expect(oldestKeptGeneration([gen(1, 7_200), gen(2, 3_600), gen(3, 40), gen(4, 10)], 30)).toBe(3n);
  // Superseded since the first newer one was recorded, whatever the numbers' order of recording.
  expect(oldestKeptGeneration([gen(2, 3_600), gen(3, 10), gen(4, 700)], 600)).toBe(3n);
});

test('a newer generation that saw fewer re-folds (unusable) does not supersede a usable one', () => {
  // 3 started before the re-fold that 2 saw (numbered later, recorded long ago): readers never take
  // it, so 2 stayed the one they read until 4 (as valid as 2) was recorded 10 s ago.
  const months = [gen(1, 9_000, 0), gen(2, 5_000, 1), gen(3, 4_000, 0), gen(4, 10, 1)];
  expect(oldestKeptGeneration(months, 600)).toBe(2n);
  // With no newer valid one at all, the usable generation is kept however old the stale ones are.
  expect(oldestKeptGeneration([gen(1, 9_000, 1), gen(2, 5_000, 0), gen(3, 4_000, 0)], 600)).toBe(1n);
});
