import { FoldCoalescer } from '../src/fold-coalescer';
import type { PartitionEnd } from '../src/rollup-deriver';

// Pure logic: which batch ends are folded together, and when each request settles.
describe('FoldCoalescer', () => {
  function gate() {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { opened, open };
  }

  it('folds at once when idle, and gathers the requests made while a fold runs into the next one', async () => {
    const calls: { topic: string; ends: PartitionEnd[] }[] = [];
    const first = gate();
    const folds = new FoldCoalescer(async (topic, ends) => {
      calls.push({ topic, ends: [...ends] });
      if (calls.length === 1) await first.opened;
    });
    const settled: string[] = [];
    const a = folds.fold('t', 0, 10n).then(() => settled.push('a'));
    const b = folds.fold('t', 1, 20n).then(() => settled.push('b'));
    const c = folds.fold('t', 2, 30n).then(() => settled.push('c'));
    await Promise.resolve();
    expect(calls).toEqual([{ topic: 't', ends: [{ partition: 0, upTo: 10n }] }]);
    expect(settled).toEqual([]);
    first.open();
    await Promise.all([a, b, c]);
    expect(calls[1]).toEqual({
      topic: 't',
      ends: [
        { partition: 1, upTo: 20n },
        { partition: 2, upTo: 30n },
      ],
    });
    expect(settled).toEqual(['a', 'b', 'c']);
    expect(folds.stats).toEqual({ folds: 2, requests: 3 });
  });

  it('rejects every request of a failed fold (their batches ask again) and goes on with the others', async () => {
    const first = gate();
    let n = 0;
    const folds = new FoldCoalescer(async (_topic, ends) => {
      n += 1;
      if (n === 1) await first.opened;
      if (n === 2) throw new Error(`ClickHouse down (${ends.length} ends)`);
    });
    const a = folds.fold('t', 0, 1n);
    const b = folds.fold('t', 1, 2n);
    const c = folds.fold('t', 2, 3n);
    first.open();
    await expect(a).resolves.toBeUndefined();
    await expect(b).rejects.toThrow('ClickHouse down (2 ends)');
    await expect(c).rejects.toThrow('ClickHouse down (2 ends)');
    await expect(folds.fold('t', 1, 2n)).resolves.toBeUndefined();
    expect(folds.stats).toEqual({ folds: 2, requests: 2 });
  });

  it('never folds two topics in one call', async () => {
    const first = gate();
    const calls: string[] = [];
    const folds = new FoldCoalescer(async (topic, ends) => {
      calls.push(`${topic}:${ends.map((e) => e.partition).join(',')}`);
      if (calls.length === 1) await first.opened;
    });
    const all = [folds.fold('x', 0, 1n), folds.fold('y', 0, 1n), folds.fold('x', 1, 1n), folds.fold('y', 1, 1n)];
    first.open();
    await Promise.all(all);
    expect(calls).toEqual(['x:0', 'y:0,1', 'x:1']);
  });
});
