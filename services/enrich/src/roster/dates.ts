/**
 * Date formats seen in real OneRoster exports:
 *   2017-04-05, "2017-05-06 08:01:05", 2023-05-01T18:25:43.511Z (1.1/1.2 ISO),
 *   15/06/2023 and 1/05/2023 (day first, seen in 1.2 exports). A slash date whose second part is
 *   above 12 can only be month first (US style), so it is read that way.
 * `slashOrder: 'mdy'` reads every slash date month first (Microsoft SDS files are US style: 7/1/2017).
 */
export function parseRosterDate(value: string, slashOrder: 'dmy' | 'mdy' = 'dmy'): string | null {
  const v = value.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(v);
  if (m) return validDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    const year = Number(m[3]);
    if (slashOrder === 'mdy' || (b > 12 && a <= 12)) return validDate(year, a, b);
    return validDate(year, b, a);
  }
  return null;
}

function validDate(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1900 || year > 2200) return null;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
