import { isCalendarDay, outsideDateColumn } from '@edusage/clickhouse';
import type { FieldProblem } from './result';

/** Collects the problems of one row while its cells are read, so every bad field is reported at once. */
export class RowReader {
  readonly problems: FieldProblem[] = [];
  constructor(private readonly values: Map<string, string>) {}

  text(field: string): string {
    return this.values.get(field) ?? '';
  }

  required(field: string): string {
    const v = this.text(field);
    if (v === '') this.problems.push({ field, message: 'is empty' });
    return v;
  }

  /** A number in [min, max] (the assessment's scale); '' → null unless required. */
  number(field: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | null {
    const raw = this.text(field);
    if (raw === '') {
      if (opts.required) this.problems.push({ field, message: 'is empty' });
      return null;
    }
    const n = Number(raw.replace(/,/g, ''));
    if (!Number.isFinite(n)) {
      this.problems.push({ field, message: `not a number: ${JSON.stringify(raw)}` });
      return null;
    }
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
      this.problems.push({ field, message: `${n} is outside the scale [${opts.min ?? '-∞'}, ${opts.max ?? '∞'}]` });
      return null;
    }
    return n;
  }

  /** A test day (`parseTestDay`); '' when empty or bad. */
  date(field: string): string {
    const raw = this.required(field);
    if (raw === '') return '';
    const day = parseTestDay(raw);
    if ('day' in day) return day.day;
    this.problems.push({ field, message: day.problem });
    return '';
  }

  /** Y/N, TRUE/FALSE, Yes/No, 1/0 → boolean; '' → null. */
  flag(field: string): boolean | null {
    const raw = this.text(field).toLowerCase();
    if (raw === '') return null;
    if (['y', 'yes', 'true', '1'].includes(raw)) return true;
    if (['n', 'no', 'false', '0'].includes(raw)) return false;
    this.problems.push({ field, message: `not Y/N: ${JSON.stringify(raw)}` });
    return null;
  }
}

/**
 * A day as vendors write it: YYYY-MM-DD, an ISO date-time (the date part as written, i.e. the local
 * day of a local time stamp), or US M/D/YYYY. Null if it is not a real calendar day.
 */
export function parseDay(text: string): string | null {
  const t = text.trim();
  let y: number, m: number, d: number;
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?: [\d:]+(?: ?[AP]M)?)?$/i.exec(t);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (us) [y, m, d] = [Number(us[3]), Number(us[1]), Number(us[2])];
  else return null;
  const day = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return isCalendarDay(day) ? day : null;
}

/**
 * A result's test day as `parseDay` reads it, stored in assessment_results.test_date (a Date): a day
 * outside the days that column stores would read back as 0000-00-00, so it is a row problem too.
 */
export function parseTestDay(text: string): { day: string } | { problem: string } {
  const day = parseDay(text);
  if (day === null) return { problem: `not a date: ${JSON.stringify(text)}` };
  const outside = outsideDateColumn(day);
  return outside === null ? { day } : { problem: outside };
}
