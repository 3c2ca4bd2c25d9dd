/**
 * Date formats seen in real roster exports:
 *   2017-04-05, "2017-05-06 08:01:05", 2023-05-01T18:25:43.511Z (OneRoster 1.1/1.2 ISO),
 *   9/1/2023 (month first: US SIS and Microsoft SDS) and 15/06/2023, 1/05/2023 (day first, seen in
 *   1.2 exports).
 * A slash date alone does not say its order when both parts are ≤ 12, so the order is decided once
 * for a whole file (date-order.ts), never value by value: 9/1/2023 and 1/16/2024 in one file are
 * both month first.
 */
export type SlashOrder = 'mdy' | 'dmy';

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const SLASH = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** Human names of the orders, for messages. */
export const SLASH_ORDER_NAMES: Record<SlashOrder, string> = {
  mdy: 'month first (MM/DD/YYYY)',
  dmy: 'day first (DD/MM/YYYY)',
};

/** A date as YYYY-MM-DD: ISO forms as written, a slash date in the given order; null if not a date. */
export function parseRosterDate(value: string, slashOrder: SlashOrder): string | null {
  const v = value.trim();
  const iso = ISO.exec(v);
  if (iso) return validDate(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const slash = SLASH.exec(v);
  if (!slash) return null;
  const [a, b, year] = [Number(slash[1]), Number(slash[2]), Number(slash[3])];
  return slashOrder === 'mdy' ? validDate(year, a, b) : validDate(year, b, a);
}

/**
 * The order a slash date shows by itself: 'dmy' when its first part is above 12, 'mdy' when its
 * second is, 'either' when both are ≤ 12; null when it is not a slash date (or both are above 12).
 */
export function slashOrderShown(value: string): SlashOrder | 'either' | null {
  const slash = SLASH.exec(value.trim());
  if (!slash) return null;
  const [a, b] = [Number(slash[1]), Number(slash[2])];
  if (a > 12 && b > 12) return null;
  return a > 12 ? 'dmy' : b > 12 ? 'mdy' : 'either';
}

/** Whether a value is a date in some order: for columns only checked, never used (dateLastModified). */
export function isRosterDate(value: string): boolean {
  return parseRosterDate(value, 'mdy') !== null || parseRosterDate(value, 'dmy') !== null;
}

function validDate(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1900 || year > 2200) return null;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The day after `day` (YYYY-MM-DD), for an end date written as the last day: the roster model's ends are
 * exclusive, as OneRoster's are, while SDS writes a term's last day.
 */
export function dayAfter(day: string | null): string | null {
  if (day === null) return null;
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
