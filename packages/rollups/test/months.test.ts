import { dateSlices, monthPieces, runsHolding } from '../src';

test('month pieces: one per month the window touches, in order, covering it once', () => {
  expect(monthPieces('2026-09-10', '2026-11-02')).toEqual([
    { month: 202609, from: '2026-09-10', to: '2026-09-30' },
    { month: 202610, from: '2026-10-01', to: '2026-10-31' },
    { month: 202611, from: '2026-11-01', to: '2026-11-02' },
  ]);
  expect(monthPieces('2027-12-31', '2028-01-01').map((p) => p.month)).toEqual([202712, 202801]);
});

test('date slices: within a month and a half of it, in order, covering the window once', () => {
  expect(dateSlices('2026-09-10', '2026-10-20')).toEqual([
    { from: '2026-09-10', to: '2026-09-15' },
    { from: '2026-09-16', to: '2026-09-30' },
    { from: '2026-10-01', to: '2026-10-15' },
    { from: '2026-10-16', to: '2026-10-20' },
  ]);
  expect(dateSlices('2028-02-16', '2028-03-01')).toEqual([
    { from: '2028-02-16', to: '2028-02-29' },
    { from: '2028-03-01', to: '2028-03-01' },
  ]);
  expect(dateSlices('2026-09-15', '2026-09-15')).toEqual([{ from: '2026-09-15', to: '2026-09-15' }]);
});

test('runs holding a month: every run of consecutive months with it, two months or more, twelve at most', () => {
  const key = (r: { first: number; last: number }) => `${r.first}-${r.last}`;
  // A gap (2026-01 missing) ends a run; the year turns.
  const months = new Set([202510, 202511, 202512, 202602, 202603]);
  expect(runsHolding(202511, months).map(key).sort()).toEqual(['202510-202511', '202510-202512', '202511-202512']);
  expect(runsHolding(202602, months).map(key)).toEqual(['202602-202603']);
  expect(runsHolding(202510, new Set([202510]))).toEqual([]);
  // Eighteen consecutive months: the runs holding the tenth are those of 2..12 months around it.
  const long = new Set<number>();
  for (let m = 202501; m <= 202606; m = m % 100 === 12 ? m + 89 : m + 1) long.add(m);
  const runs = runsHolding(202510, long);
  const length = (r: { first: number; last: number }) =>
    (Math.floor(r.last / 100) - Math.floor(r.first / 100)) * 12 + (r.last % 100) - (r.first % 100) + 1;
  expect(Math.max(...runs.map(length))).toBe(12);
  expect(Math.min(...runs.map(length))).toBe(2);
  expect(runs.every((r) => r.first <= 202510 && r.last >= 202510)).toBe(true);
  // Exactly the runs found by trying every pair of months of the list.
  const list = [...long];
  const all = list.flatMap((first, i) =>
    list.slice(i + 1, i + 12).flatMap((last) => (first <= 202510 && last >= 202510 ? [`${first}-${last}`] : [])),
  );
  expect(runs.map(key).sort()).toEqual(all.sort());
});
