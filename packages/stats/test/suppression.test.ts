// Small-cell suppression, with expectations written from the rule: hide n < k, and make sure the
// hidden cells cannot be recovered from the published total.
import { suppress } from '@edusage/stats';

const cell = (label: string, n: number) => ({ label, n, value: { meanGrowth: n * 1.5 } });
const hiddenLabels = (table: ReturnType<typeof suppress>) =>
  table.cells.filter((c) => c.suppressed !== null).map((c) => `${c.label}:${c.suppressed}`);

describe('suppress', () => {
  it('publishes every cell when all have at least k students', () => {
    const table = suppress([cell('low', 10), cell('middle', 25), cell('high', 12)]);
    expect(hiddenLabels(table)).toEqual([]);
    expect(table.cells[0]).toEqual({ label: 'low', n: 10, value: { meanGrowth: 15 }, suppressed: null });
    expect(table.total).toEqual({ n: 47, suppressed: null });
  });

  it('one small cell beside a published total: the next smallest cell is hidden too', () => {
    const table = suppress([cell('none', 4), cell('below goal', 30), cell('at goal', 18)]);
    expect(hiddenLabels(table)).toEqual(['none:suppressed (n<k)', 'at goal:suppressed (complementary)']);
    expect(table.cells[2]).toEqual({
      label: 'at goal',
      n: null,
      value: null,
      suppressed: 'suppressed (complementary)',
    });
    expect(table.total.n).toBe(52);
  });

  it('two small cells whose sum is still below k: one more cell is hidden', () => {
    // 3 + 4 = 7 < 10: total − shown cells would publish a cell of 7 students.
    const table = suppress([cell('a', 3), cell('b', 40), cell('c', 4), cell('d', 20)]);
    expect(hiddenLabels(table)).toEqual(['a:suppressed (n<k)', 'c:suppressed (n<k)', 'd:suppressed (complementary)']);
  });

  it('two small cells that together reach k need nothing more', () => {
    const table = suppress([cell('a', 6), cell('b', 40), cell('c', 5)]);
    expect(hiddenLabels(table)).toEqual(['a:suppressed (n<k)', 'c:suppressed (n<k)']);
  });

  it('without a published total only the small cells are hidden', () => {
    const table = suppress([cell('a', 3), cell('b', 40), cell('c', 20)], { totalPublished: false });
    expect(hiddenLabels(table)).toEqual(['a:suppressed (n<k)']);
  });

  it('a total below k is hidden with all its cells; empty cells count as small', () => {
    const table = suppress([cell('a', 0), cell('b', 6)], { k: 10 });
    expect(hiddenLabels(table)).toEqual(['a:suppressed (n<k)', 'b:suppressed (n<k)']);
    expect(table.total).toEqual({ n: null, suppressed: 'suppressed (n<k)' });
  });

  it('uses the k given', () => {
    const table = suppress([cell('a', 3), cell('b', 5), cell('c', 6)], { k: 5 });
    expect(hiddenLabels(table)).toEqual(['a:suppressed (n<k)', 'b:suppressed (complementary)']);
  });

  it('hides the first of equal smallest cells, so the result does not depend on chance', () => {
    const table = suppress([cell('a', 2), cell('b', 15), cell('c', 15)]);
    expect(hiddenLabels(table)).toEqual(['a:suppressed (n<k)', 'b:suppressed (complementary)']);
  });

  it('cells that overlap (a total below their sum): total − shown cells must not be a small count', () => {
    // A person in two cells: 3 + 10 + 50 = 63 > 53. Hiding a and b (13 ≥ k) would leave 53 − 50 = 3.
    const table = suppress([cell('a', 3), cell('b', 10), cell('c', 50)], { total: 53 });
    expect(hiddenLabels(table)).toEqual([
      'a:suppressed (n<k)',
      'b:suppressed (complementary)',
      'c:suppressed (complementary)',
    ]);
    expect(table.total).toEqual({ n: 53, suppressed: null });
    // The same cells where the difference is large enough: nothing more.
    expect(hiddenLabels(suppress([cell('a', 3), cell('b', 10), cell('c', 50)], { total: 60 }))).toEqual([
      'a:suppressed (n<k)',
      'b:suppressed (complementary)',
    ]);
  });
});
