import { FoldSchedule } from '../src/fold-schedule';

// Pure logic: which stored batches are folded before their commit.
describe('FoldSchedule', () => {
  it('folds every batch with interval 0', () => {
    const s = new FoldSchedule(0);
    s.folded('t', 0, 1_000);
    expect(s.foldNow('t', 0, false, 1_001)).toBe(true);
  });

  it('folds the first batch, a caught-up batch and a batch after the interval, and no other', () => {
    const s = new FoldSchedule(2_000);
    expect(s.foldNow('t', 0, false, 0)).toBe(true); // first since the worker joined
    s.folded('t', 0, 0);
    expect(s.foldNow('t', 0, false, 1_999)).toBe(false);
    expect(s.foldNow('t', 1, false, 1_999)).toBe(true); // another partition: its own clock
    expect(s.foldNow('u', 0, false, 1_999)).toBe(true); // another topic too
    expect(s.foldNow('t', 0, true, 1_999)).toBe(true); // caught up
    expect(s.foldNow('t', 0, false, 2_000)).toBe(true);
  });

  it('folds the first batch of every partition after a rebalance', () => {
    const s = new FoldSchedule(60_000);
    s.folded('a.b/c', 3, 0);
    expect(s.foldNow('a.b/c', 3, false, 1)).toBe(false);
    s.rejoined();
    expect(s.foldNow('a.b/c', 3, false, 1)).toBe(true);
  });
});
