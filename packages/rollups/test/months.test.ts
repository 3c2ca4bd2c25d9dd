import { dateSlices, monthPieces } from '../src';

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
