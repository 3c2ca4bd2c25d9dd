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

  it('names an owed fold once its interval passed and the partition is quiet, again only after a while, and forgets it once folded', () => {
    const s = new FoldSchedule(2_000);
    const at = (now: number) => ({ now, epoch: 1, seek: true });
    s.folded('t', 0, 0);
    s.putOff('t', 0, 40n, at(100));
    s.putOff('t', 0, 90n, at(1_500)); // a later batch owes up to its end
    expect(s.due(1_999)).toEqual([]);
    expect(s.due(2_200)).toEqual([]); // due, but a batch came 0.7 s ago: more may be on the way
    expect(s.due(2_500)).toEqual([{ topic: 't', partition: 0, end: 90n, at: 1_500, epoch: 1, seek: true }]);
    s.asked('t', 0, 2_500);
    expect(s.due(3_000)).toEqual([]); // the seek back is on its way
    expect(s.due(12_500)).toHaveLength(1); // it brought nothing: ask again
    // Asked again and again with nothing coming (fetches slower than the wait): each wait twice the
    // last, up to a minute, so the batch a seek is bringing is not dropped by the next seek.
    s.asked('t', 0, 12_500);
    expect(s.due(32_499)).toEqual([]);
    expect(s.due(32_500)).toHaveLength(1);
    s.asked('t', 0, 32_500);
    expect(s.due(72_499)).toEqual([]);
    s.asked('t', 0, 72_500);
    s.asked('t', 0, 132_500);
    expect(s.due(192_499)).toEqual([]);
    expect(s.due(192_500)).toHaveLength(1);
    s.putOff('t', 0, 120n, at(12_000)); // a batch came (and owes again): a fresh ask when due
    expect(s.due(13_000).map((o) => o.end)).toEqual([120n]);
    s.folded('t', 0, 13_001);
    expect(s.due(60_000)).toEqual([]);
  });

  it("never seeks for a fold that waits for batches reaching a previous owner's stored end, nor a forgotten one", () => {
    const s = new FoldSchedule(2_000);
    s.putOff('t', 0, 40n, { now: 0, epoch: 1, seek: false });
    s.putOff('t', 1, 40n, { now: 0, epoch: 1, seek: true });
    expect(s.due(60_000).map((o) => o.partition)).toEqual([1]);
    s.forget('t', 1);
    expect(s.due(60_000)).toEqual([]);
  });

  it('after a rebalance folds the first batch of every partition and owes nothing', () => {
    const s = new FoldSchedule(60_000);
    s.folded('a.b/c', 3, 0);
    s.putOff('a.b/c', 3, 7n, { now: 0, epoch: 1, seek: true });
    expect(s.foldNow('a.b/c', 3, 1)).toBe(false);
    s.rejoined();
    expect(s.foldNow('a.b/c', 3, 1)).toBe(true);
    expect(s.due(120_000)).toEqual([]);
  });
});
