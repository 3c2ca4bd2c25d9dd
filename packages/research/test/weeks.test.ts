/** Monday-based weeks and which weeks a refresh rebuilds (2026-09-07 is a Monday). */
import { completedWeeks, mondayOf, weekDays } from '../src/weeks';

describe('weeks', () => {
  it('finds the Monday of any day', () => {
    expect(['2026-09-07', '2026-09-10', '2026-09-13'].map(mondayOf)).toEqual([
      '2026-09-07',
      '2026-09-07',
      '2026-09-07',
    ]);
    expect(mondayOf('2026-09-14')).toBe('2026-09-14');
    expect(mondayOf('2027-01-01')).toBe('2026-12-28');
  });

  it('gives Monday to Sunday and refuses a day that is not a Monday', () => {
    expect(weekDays('2026-09-07')).toEqual({ from: '2026-09-07', to: '2026-09-13' });
    expect(() => weekDays('2026-09-08')).toThrow(/not a Monday/);
    expect(() => weekDays('2026-02-30')).toThrow(/not a YYYY-MM-DD day/);
  });

  it('rebuilds weeks whose Sunday is at least two days over, oldest first', () => {
    // Tuesday: Sunday the 13th is two days back, its week is complete.
    expect(completedWeeks('2026-09-15', 2)).toEqual(['2026-08-31', '2026-09-07']);
    // Monday: Sunday may still run somewhere; the week before is the newest complete one.
    expect(completedWeeks('2026-09-14', 1)).toEqual(['2026-08-31']);
    expect(completedWeeks('2026-09-20', 1)).toEqual(['2026-09-07']);
  });
});
