/**
 * A band table of fewer than k students hides every band, the empty ones too: "none: hidden,
 * below goal: 0, at goal: 0" would say that all of those few students never used the app.
 */
import { bandTable, type StudentWindow } from '../src';

const student = (i: number, minutesPerWeek: number): StudentWindow => ({
  personId: `p${i}`,
  grade: '05',
  schoolId: 'sch-1',
  classId: '',
  preDate: '2026-09-01',
  postDate: '2026-12-01',
  pre: 200,
  post: 205 + i,
  projectedGrowth: null,
  engagedSeconds: minutesPerWeek * 60 * 13,
  knownCampusSeconds: 0,
  onCampusSeconds: 0,
  daysUsed: minutesPerWeek > 0 ? 5 : 0,
  minutesPerWeek,
});

test('four students, all without use: no band is shown, not even the empty ones', () => {
  const none = [0, 1, 2, 3].map((i) => student(i, 0));
  const rows = bandTable(
    [
      ['none', none],
      ['below_goal', []],
      ['at_goal', []],
    ],
    10,
  );
  expect(rows.map((r) => [r.band, r.n, r.suppressed])).toEqual([
    ['none', null, 'suppressed (n<k)'],
    ['below_goal', null, 'suppressed (n<k)'],
    ['at_goal', null, 'suppressed (n<k)'],
  ]);
});

test('a group of k or more still shows its empty bands as 0', () => {
  const rows = bandTable(
    [
      ['none', Array.from({ length: 12 }, (_, i) => student(i, 0))],
      ['below_goal', []],
      ['at_goal', []],
    ],
    10,
  );
  expect(rows.map((r) => [r.band, r.n])).toEqual([
    ['none', 12],
    ['below_goal', 0],
    ['at_goal', 0],
  ]);
});
