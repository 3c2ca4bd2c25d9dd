import { BatchGathering, markIfFailed, type SinkMessage } from '../src/batch-gathering';

const batch = (from: number, count: number): SinkMessage[] =>
  Array.from({ length: count }, (_, i) => ({ offset: String(from + i), value: Buffer.from(`m${from + i}`) }));
const offsets = (ms: readonly SinkMessage[] | null) => ms?.map((m) => Number(m.offset)) ?? null;
const at = (now: number, extra: { epoch?: number; force?: boolean } = {}) => ({
  now,
  epoch: extra.epoch ?? 1,
  force: extra.force ?? false,
});

describe('BatchGathering (pure)', () => {
  it('disabled (no wait or a minimum of one): every batch is stored as it comes, as it is', () => {
    for (const opts of [
      { minMessages: 5_000, maxWaitMs: 0 },
      { minMessages: 1, maxWaitMs: 250 },
    ]) {
      const g = new BatchGathering(opts);
      const b = batch(0, 3);
      expect(g.enabled).toBe(false);
      expect(g.add('t', 0, b, at(0))).toBe(b);
      expect(g.heldOf('t', 0)).toBeUndefined();
    }
  });

  it('holds batches until the minimum is reached, then returns all of them in offset order', () => {
    const g = new BatchGathering({ minMessages: 10, maxWaitMs: 1_000 });
    expect(g.add('t', 0, batch(0, 4), at(0))).toBeNull();
    expect(g.add('t', 0, batch(4, 4), at(10))).toBeNull();
    expect(g.heldOf('t', 0)).toEqual({ first: '0', epoch: 1 });
    expect(g.heldMessages).toBe(8);
    expect(offsets(g.add('t', 0, batch(8, 4), at(20)))).toEqual([...Array(12).keys()]);
    expect(g.heldOf('t', 0)).toBeUndefined();
    expect(g.heldMessages).toBe(0);
  });

  it('held messages keep their record timestamps (the age at store is measured from them)', () => {
    const g = new BatchGathering({ minMessages: 4, maxWaitMs: 1_000 });
    const stamped = (from: number, count: number) =>
      batch(from, count).map((m) => ({ ...m, timestamp: `${1000 + Number(m.offset)}` }));
    expect(g.add('t', 0, stamped(0, 2), at(0))).toBeNull();
    const out = g.add('t', 0, stamped(2, 2), at(10))!;
    expect(out.map((m) => m.timestamp)).toEqual(['1000', '1001', '1002', '1003']);
  });

  it('a batch that alone reaches the minimum is not held (and not copied)', () => {
    const g = new BatchGathering({ minMessages: 3, maxWaitMs: 1_000 });
    const b = batch(0, 3);
    expect(g.add('t', 0, b, at(0))).toBe(b);
  });

  it('stores what is held with the first batch after the wait, and with a forced one at once', () => {
    const g = new BatchGathering({ minMessages: 100, maxWaitMs: 250 });
    expect(g.add('t', 0, batch(0, 2), at(0))).toBeNull();
    expect(g.add('t', 0, batch(2, 2), at(249))).toBeNull();
    expect(offsets(g.add('t', 0, batch(4, 1), at(250)))).toEqual([0, 1, 2, 3, 4]);
    expect(g.add('t', 0, batch(5, 1), at(300))).toBeNull();
    expect(offsets(g.add('t', 0, batch(6, 1), at(301, { force: true })))).toEqual([5, 6]);
    // Forced with nothing held: the batch as it is.
    const b = batch(7, 1);
    expect(g.add('t', 0, b, at(302, { force: true }))).toBe(b);
  });

  it('copies the held values: the fetch response they were sliced from may be reused', () => {
    const g = new BatchGathering({ minMessages: 100, maxWaitMs: 250 });
    const b = batch(0, 1);
    g.add('t', 0, b, at(0));
    b[0]!.value!.fill(0);
    const stored = g.add('t', 0, batch(1, 1), at(300));
    expect(stored?.[0]?.value?.toString()).toBe('m0');
  });

  it('a batch sought back to overlaps what is held: each offset once, in order', () => {
    const g = new BatchGathering({ minMessages: 100, maxWaitMs: 250 });
    g.add('t', 0, batch(10, 5), at(0));
    g.add('t', 0, batch(15, 5), at(10));
    expect(offsets(g.add('t', 0, batch(10, 12), at(20, { force: true })))).toEqual(
      Array.from({ length: 12 }, (_, i) => 10 + i),
    );
    // Even one reaching below the first held offset.
    g.add('t', 0, batch(30, 2), at(30));
    expect(offsets(g.add('t', 0, batch(28, 3), at(40, { force: true })))).toEqual([28, 29, 30, 31]);
  });

  it('keeps partitions apart', () => {
    const g = new BatchGathering({ minMessages: 4, maxWaitMs: 250 });
    g.add('t', 0, batch(0, 2), at(0));
    g.add('t', 1, batch(0, 3), at(0));
    g.add('u', 0, batch(7, 1), at(0));
    expect(offsets(g.add('t', 1, batch(3, 1), at(1)))).toEqual([0, 1, 2, 3]);
    expect(g.heldOf('t', 0)?.first).toBe('0');
    expect(g.heldOf('u', 0)?.first).toBe('7');
    expect(g.heldOf('t', 1)).toBeUndefined();
  });

  it('due: held partitions whose first message waited the wait and that got no batch for a second, each asked again only after 10 s, then twice as long each time', () => {
    const g = new BatchGathering({ minMessages: 100, maxWaitMs: 250 });
    g.add('t', 0, batch(5, 2), at(0, { epoch: 3 }));
    g.add('t', 1, batch(9, 2), at(100));
    // Quiet for less than a second: a busy partition's next batch is on its way.
    expect(g.due(999)).toEqual([]);
    expect(g.due(1_000)).toEqual([{ topic: 't', partition: 0, first: '5', epoch: 3 }]);
    g.asked('t', 0, 1_000);
    expect(g.due(1_099).map((d) => d.partition)).toEqual([]);
    expect(g.due(1_100).map((d) => d.partition)).toEqual([1]);
    expect(g.due(10_999).map((d) => d.partition)).toEqual([1]);
    expect(g.due(11_000).map((d) => d.partition)).toEqual([0, 1]);
    // The batch a seek brings (or any after the wait) takes what is held: no longer due.
    expect(offsets(g.add('t', 1, batch(9, 3), at(11_010)))).toEqual([9, 10, 11]);
    expect(g.due(11_011).map((d) => d.partition)).toEqual([0]);
    // Asked again with nothing coming: the next wait is twice as long.
    g.asked('t', 0, 11_011);
    expect(g.due(31_010)).toEqual([]);
    expect(g.due(31_011).map((d) => d.partition)).toEqual([0]);
  });

  it('due: a wait longer than a second is also the quiet time', () => {
    const g = new BatchGathering({ minMessages: 100, maxWaitMs: 3_000 });
    g.add('t', 0, batch(0, 1), at(0));
    g.add('t', 0, batch(1, 1), at(2_000));
    expect(g.due(4_999)).toEqual([]);
    expect(g.due(5_000).map((d) => d.first)).toEqual(['0']);
  });

  it('forget drops what is held; a rejoin keeps only marks of where the held messages started, for partitions still assigned', () => {
    const g = new BatchGathering({ minMessages: 100, maxWaitMs: 250 });
    g.add('t', 0, batch(0, 2), at(0));
    g.add('t', 1, batch(40, 2), at(0));
    g.add('t', 2, batch(60, 2), at(0));
    g.forget('t', 0);
    expect(g.heldOf('t', 0)).toBeUndefined();
    g.rejoined((_topic, partition) => partition !== 2);
    // Marks under the old epoch: what was held is let go (kafkajs reads from the commit again), not
    // sought back for, and the first offset stays for a batch fetched before the rejoin.
    expect(g.heldMessages).toBe(0);
    expect(g.due(5_000)).toEqual([]);
    expect(g.heldOf('t', 1)).toEqual({ first: '40', epoch: 1 });
    // A partition no longer assigned keeps nothing.
    expect(g.heldOf('t', 2)).toBeUndefined();
  });

  it('a batch that took held messages and failed leaves a mark no batch epoch equals, at the lowest start', () => {
    const g = new BatchGathering({ minMessages: 100, maxWaitMs: 250 });
    g.markUnstored('t', 0, '30');
    const mark = g.heldOf('t', 0)!;
    expect(mark.first).toBe('30');
    for (const epoch of [0, 1, 2, 1_000]) expect(mark.epoch).not.toBe(epoch);
    g.markUnstored('t', 0, '20');
    expect(g.heldOf('t', 0)?.first).toBe('20');
    g.markUnstored('t', 0, '25');
    expect(g.heldOf('t', 0)?.first).toBe('20');
    expect(g.due(10_000)).toEqual([]);
  });

  it('markIfFailed: a batch that took held messages marks their start, also when it starts below them', () => {
    const g = new BatchGathering({ minMessages: 100, maxWaitMs: 250 });
    expect(g.add('t', 0, batch(100, 50), at(0))).toBeNull();
    // Another fetcher's batch, starting below the held ones, stored with them once the wait is up.
    const own = batch(90, 6);
    const taken = g.add('t', 0, own, at(300))!;
    expect(offsets(taken)?.slice(0, 7)).toEqual([90, 91, 92, 93, 94, 95, 100]);
    expect(markIfFailed(taken, own)).toBe('90');
    // A batch after the held ones takes them too; its failure marks where they start.
    expect(g.add('t', 0, batch(200, 2), at(400))).toBeNull();
    const next = batch(202, 2);
    expect(markIfFailed(g.add('t', 0, next, at(700))!, next)).toBe('200');
    // Nothing held, or every held message in the batch (sought back to them): kafkajs reads it again.
    const alone = batch(300, 3);
    expect(markIfFailed(alone, alone)).toBeUndefined();
    expect(g.add('t', 0, batch(400, 2), at(800))).toBeNull();
    const over = batch(400, 4);
    expect(markIfFailed(g.add('t', 0, over, at(810, { force: true }))!, over)).toBeUndefined();
  });
});
