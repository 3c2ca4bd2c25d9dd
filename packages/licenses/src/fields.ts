import { GRADE_ORDER, gradeCode } from '@edusage/enrich';
import { z } from 'zod';
import { isCalendarDay, LAST_DATE_COLUMN_DAY, outsideDateColumn } from '@edusage/clickhouse';

/** A real calendar day written YYYY-MM-DD. */
export const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine(isCalendarDay, 'not a calendar day');

/**
 * A day the import stores in a Date column (a license's term) or that becomes one (the renewal date:
 * the term end's default, and the renewal alerts' Date): also within the days ClickHouse stores.
 */
export const dateColumnDay = isoDay.superRefine((day, ctx) => {
  if (!isCalendarDay(day)) return; // reported above
  const outside = outsideDateColumn(day);
  if (outside === null) return;
  const hint = day > LAST_DATE_COLUMN_DAY ? `: use ${LAST_DATE_COLUMN_DAY} for an open-ended term` : '';
  ctx.addIssue({ code: 'custom', message: `${outside}${hint}` });
});

/** '' → undefined, so optional cells may be left empty. */
export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' || v === undefined ? undefined : v), schema.optional());

/** `06-08` (a band) or `06,07,08` (a list) → the grade codes; '' → [] (every grade). */
export const gradeBand = z.string().transform((text, ctx) => {
  if (text.trim() === '') return [] as string[];
  const range = /^\s*([A-Za-z0-9]+)\s*-\s*([A-Za-z0-9]+)\s*$/.exec(text);
  if (range) {
    const [from, to] = [gradeCode(range[1]!), gradeCode(range[2]!)];
    const [i, j] = [from ? GRADE_ORDER.indexOf(from) : -1, to ? GRADE_ORDER.indexOf(to) : -1];
    if (i < 0 || j < 0 || j < i) {
      ctx.addIssue({ code: 'custom', message: `not a grade band (e.g. KG-05, 06-08): ${text}` });
      return z.NEVER;
    }
    return GRADE_ORDER.slice(i, j + 1);
  }
  const grades = text.split(/[,;]/).map((g) => gradeCode(g));
  if (grades.some((g) => g === null)) {
    ctx.addIssue({ code: 'custom', message: `not a grade list (e.g. 06,07,08): ${text}` });
    return z.NEVER;
  }
  return grades as string[];
});

/**
 * An app as the rollups key it: enrich lower-cases every app id and host it stores, so a catalog
 * app_id is lower-cased here too (`IXL` is `ixl`), and a domain (bare, a URL, or `domain:<host>`) is
 * `domain:<host>` without scheme, path, port or www.
 */
export const appKey = z
  .string()
  .min(1, 'required')
  .transform((text, ctx) => {
    const t = text.trim();
    const given = /^domain:/i.test(t) ? t.slice('domain:'.length) : null;
    if (given === null && !t.includes('.')) {
      const id = t.toLowerCase();
      if (!/^[a-z0-9][a-z0-9._:-]*$/.test(id)) {
        ctx.addIssue({ code: 'custom', message: `not an app id or domain: ${t}` });
        return z.NEVER;
      }
      return id;
    }
    const host = (given ?? t)
      .toLowerCase()
      .replace(/^[a-z]+:\/\//, '')
      .replace(/[/:?#].*$/, '')
      .replace(/^www\./, '');
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host)) {
      ctx.addIssue({ code: 'custom', message: `not a domain: ${t}` });
      return z.NEVER;
    }
    return `domain:${host}`;
  });

/** A zod issue list → (field, message) pairs; the field is the first path element. */
export function fieldIssues(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((i) => ({ field: String(i.path[0] ?? ''), message: i.message }));
}
