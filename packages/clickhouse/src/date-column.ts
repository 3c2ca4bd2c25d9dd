/**
 * The days a ClickHouse 18.16 `Date` column stores and reads back as written. Any other day is stored
 * as day 0, which reads back as 0000-00-00 (not a day: `addDays` throws on it); 1970-01-01 is day 0
 * itself, so it reads back as 0000-00-00 too.
 */
export const FIRST_DATE_COLUMN_DAY = '1970-01-02';
export const LAST_DATE_COLUMN_DAY = '2105-12-31';

/**
 * Why a calendar day (YYYY-MM-DD) from an imported file cannot go into a Date column, or null when it
 * can: the one check of every import that stores a file's day in one (licenses, assessment results).
 */
export function outsideDateColumn(day: string): string | null {
  if (day < FIRST_DATE_COLUMN_DAY)
    return `${day} is before ${FIRST_DATE_COLUMN_DAY}, the first day a ClickHouse Date column stores`;
  if (day > LAST_DATE_COLUMN_DAY)
    return `${day} is after ${LAST_DATE_COLUMN_DAY}, the last day a ClickHouse Date column stores`;
  return null;
}
