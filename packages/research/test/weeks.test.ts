/** Monday-based weeks and which weeks a refresh rebuilds (2026-09-07 is a Monday). */
import { schoolYearSettled, settledSchoolYears } from '../src/publish';
import { completedWeeks, mondayOf, settledWeeks, weekDays, weekSettled } from '../src/weeks';

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

  it('publishes a week once it has been complete for the settle weeks', () => {
    // The week of 09-07 is complete on Tuesday 09-15; with two settle weeks, on Tuesday 09-29.
    expect(settledWeeks('2026-09-28', 2, 1)).toEqual(['2026-08-31']);
    expect(settledWeeks('2026-09-29', 2, 2)).toEqual(['2026-08-31', '2026-09-07']);
    expect(settledWeeks('2026-09-15', 0, 1)).toEqual(['2026-09-07']);
  });

  it('publishes a school year once it ended (June 30) and settled', () => {
    expect(schoolYearSettled('2026-27', '2027-07-15', 2)).toBe(false);
    expect(schoolYearSettled('2026-27', '2027-07-16', 2)).toBe(true);
    expect(schoolYearSettled('2026-27', '2027-07-02', 0)).toBe(true);
    expect(schoolYearSettled('2026-27', '2027-07-01', 0)).toBe(false);
    // A run publishes the year before today's, once it settled; never an older one.
    expect(settledSchoolYears('2027-09-01', 2)).toEqual(['2026-27']);
    expect(settledSchoolYears('2027-07-10', 2)).toEqual([]);
  });

  it("tells whether a day's week has settled", () => {
    expect(weekSettled('2026-09-13', '2026-09-28', 2)).toBe(false);
    expect(weekSettled('2026-09-13', '2026-09-29', 2)).toBe(true);
    expect(weekSettled('2026-09-07', '2026-09-15', 0)).toBe(true);
  });
});
