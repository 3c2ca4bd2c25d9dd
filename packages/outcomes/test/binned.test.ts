/** The binned scatter of usage against growth: equal-count bins of at least k students, means only. */
import { binnedScatter, type StudentWindow } from '../src';

function student(i: number, minutesPerWeek: number, growth: number): StudentWindow {
  return {
    personId: `p${String(i).padStart(3, '0')}`,
    grade: '05',
    schoolId: 's1',
    classId: '',
    preDate: '2026-09-01',
    postDate: '2026-12-01',
    pre: 200,
    post: 200 + growth,
    projectedGrowth: null,
    engagedSeconds: minutesPerWeek * 60 * 13,
    onCampusSeconds: 0,
    knownCampusSeconds: 0,
    daysUsed: 1,
    minutesPerWeek,
  };
}

test('30 students, k = 10: three bins of ten in order of use, their means by hand', () => {
  // Student i uses i minutes a week and grows i % 3 points; listed in reverse so the order comes from the bins.
  const students = Array.from({ length: 30 }, (_, i) => student(i, i, i % 3)).reverse();
  const r = binnedScatter(students, 10);
  if (!r.ok) throw new Error(r.reason);
  expect(r.value.bins.map((b) => [b.bin, b.n, b.meanMinutesPerWeek, b.suppressed])).toEqual([
    [1, 10, 4.5, null], // minutes 0..9
    [2, 10, 14.5, null],
    [3, 10, 24.5, null],
  ]);
  // Growth of 0..9 is 0,1,2,0,1,2,0,1,2,0 = 9 → 0.9; 10..19: 1,2,0,… = 10 → 1.0; 20..29: 2,0,1,… = 11 → 1.1.
  expect(r.value.bins.map((b) => b.meanGrowth)).toEqual([0.9, 1, 1.1]);
  expect(r.value.meanMinutesPerWeek).toBe(14.5);
  expect(r.value.meanGrowth).toBeCloseTo(1, 12);
});

test('at most 20 bins, each of at least k students; ties keep a fixed order', () => {
  const students = Array.from({ length: 437 }, (_, i) => student(i, i % 7 === 0 ? 0 : i / 3, (i * 7) % 11));
  const r = binnedScatter(students, 10);
  if (!r.ok) throw new Error(r.reason);
  expect(r.value.bins).toHaveLength(20);
  expect(r.value.bins.every((b) => b.n !== null && b.n >= 10 && b.suppressed === null)).toBe(true);
  expect(r.value.bins.reduce((t, b) => t + b.n!, 0)).toBe(437);
  const means = r.value.bins.map((b) => b.meanMinutesPerWeek!);
  expect([...means].sort((a, b) => a - b)).toEqual(means);
  expect(binnedScatter([...students].reverse(), 10)).toEqual(r);
});

test('fewer than 2k students: no scatter, with the reason', () => {
  const r = binnedScatter(
    Array.from({ length: 19 }, (_, i) => student(i, i, 1)),
    10,
  );
  expect(r).toEqual({ ok: false, reason: 'fewer than 20 students (2 bins of k = 10): no binned scatter' });
});
