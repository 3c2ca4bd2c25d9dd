import { FoldSchedule } from '../src/fold-schedule';

// Pure logic: which stored batches are folded now, and which owed folds an idle partition gets.
describe('FoldSchedule', () => {
  it('folds every batch with interval 0', () => {
    const s = new FoldSchedule(0);
    s.folded('t', 0, 1_000);
    expect(s.foldNow('t', 0, 1_001)).toBe(true);
  });

  it('folds the first batch and then once per interval, each partition on its own clock', () => {
    const s = new FoldSchedule(2_000);
    expect(s.foldNow('t', 0, 0)).toBe(true); // first since the worker joined
    s.folded('t', 0, 0);
    expect(s.foldNow('t', 0, 1_999)).toBe(false);
    expect(s.foldNow('t', 1, 1_999)).toBe(true); // another partition
    expect(s.foldNow('u', 0, 1_999)).toBe(true); // another topic too
    expect(s.foldNow('t', 0, 2_000)).toBe(true);
  });

  it('names an owed fold once its interval passed, again only after a while, and forgets it once folded', () => {
    const s = new FoldSchedule(2_000);
    s.folded('t', 0, 0);
    s.putOff('t', 0, 40n);
    s.putOff('t', 0, 90n); // a later batch owes up to its end
    expect(s.due(1_999)).toEqual([]);
    expect(s.due(2_000)).toEqual([{ topic: 't', partition: 0, end: 90n }]);
    s.asked('t', 0, 2_000);
    expect(s.due(2_500)).toEqual([]); // the seek back is on its way
    expect(s.due(12_000)).toHaveLength(1); // it brought nothing: ask again
    s.putOff('t', 0, 120n); // a batch came (and owes again): a fresh ask when due
    expect(s.due(12_000)).toEqual([{ topic: 't', partition: 0, end: 120n }]);
    s.folded('t', 0, 12_001);
    expect(s.due(60_000)).toEqual([]);
  });

  it('after a rebalance folds the first batch of every partition and owes nothing', () => {
    const s = new FoldSchedule(60_000);
    s.folded('a.b/c', 3, 0);
    s.putOff('a.b/c', 3, 7n);
    expect(s.foldNow('a.b/c', 3, 1)).toBe(false);
    s.rejoined();
    expect(s.foldNow('a.b/c', 3, 1)).toBe(true);
    expect(s.due(120_000)).toEqual([]);
  });
});
