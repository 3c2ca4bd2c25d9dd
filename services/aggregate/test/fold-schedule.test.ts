import { FoldSchedule } from '../src/fold-schedule';

// Pure logic: which batches are folded before their commit, and which put-off folds are due.
describe('FoldSchedule', () => {
  it('folds every batch with interval 0', () => {
    const s = new FoldSchedule(0);
    s.folded('t', 0, 10n, 1_000);
    expect(s.foldNow('t', 0, false, 1_001)).toBe(true);
  });

  it('folds the first batch, a caught-up batch and a batch after the interval; puts the others off', () => {
    const s = new FoldSchedule(2_000);
    expect(s.foldNow('t', 0, false, 0)).toBe(true); // first since the worker got the partition
    s.folded('t', 0, 100n, 0);
    expect(s.foldNow('t', 0, false, 1_999)).toBe(false);
    expect(s.foldNow('t', 1, false, 1_999)).toBe(true); // another partition: its own clock
    expect(s.foldNow('t', 0, true, 1_999)).toBe(true); // caught up
    expect(s.foldNow('t', 0, false, 2_000)).toBe(true);
  });

  it('keeps the furthest put-off end until a fold reaches it, and gives it when the interval passed', () => {
    const s = new FoldSchedule(2_000);
    s.folded('t', 0, 100n, 0);
    s.putOff('t', 0, 200n);
    s.putOff('t', 0, 300n);
    s.putOff('t', 0, 250n);
    expect(s.due(1_999)).toEqual([]);
    expect(s.due(1_999, true)).toEqual([{ topic: 't', partition: 0, end: 300n }]);
    expect(s.due(2_000)).toEqual([{ topic: 't', partition: 0, end: 300n }]);
    s.folded('t', 0, 200n, 2_100); // a fold that ended below the put-off end leaves it put off
    expect(s.due(4_100)).toEqual([{ topic: 't', partition: 0, end: 300n }]);
    s.folded('t', 0, 300n, 4_200);
    expect(s.due(99_999, true)).toEqual([]);
  });

  it('after a rebalance folds the next batch at once, makes put-off folds due and forgets lost partitions', () => {
    const s = new FoldSchedule(60_000);
    s.folded('a.b/c', 3, 10n, 0);
    s.putOff('a.b/c', 3, 20n);
    s.folded('a.b/c', 4, 10n, 0);
    s.putOff('a.b/c', 4, 30n);
    expect(s.foldNow('a.b/c', 3, false, 1)).toBe(false);
    s.rejoined((topic, partition) => topic === 'a.b/c' && partition === 3);
    expect(s.foldNow('a.b/c', 3, false, 1)).toBe(true);
    expect(s.due(1)).toEqual([{ topic: 'a.b/c', partition: 3, end: 20n }]);
    expect(s.due(1, true)).toEqual([{ topic: 'a.b/c', partition: 3, end: 20n }]);
  });
});
