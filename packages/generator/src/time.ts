/**
 * Local-time arithmetic for an IANA zone, through Intl (no hard-coded offsets, so DST is right).
 * Dates are 'YYYY-MM-DD' strings of the district's local calendar.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a clear error for a zone Intl does not know. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatterFor(timeZone);
  } catch {
    throw new Error(`unknown IANA time zone: ${timeZone}`);
  }
}

/** The zone's offset from UTC in minutes at an instant (e.g. -300 for CDT... -360 for CST). */
export function offsetMinutesAt(timeZone: string, epochMs: number): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(epochMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const wholeSecondMs = epochMs - (((epochMs % 1000) + 1000) % 1000);
  return Math.round((asUtc - wholeSecondMs) / 60000);
}

/** The local calendar date ('YYYY-MM-DD') of an instant in the zone. */
export function localDateOf(timeZone: string, epochMs: number): string {
  const off = offsetMinutesAt(timeZone, epochMs);
  return new Date(epochMs + off * 60000).toISOString().slice(0, 10);
}

/** UTC instant of a local wall-clock time (seconds since local midnight) on a local date. */
export function localToEpochMs(timeZone: string, date: string, secondsOfDay: number): number {
  const [y, m, d] = parseDate(date);
  const wall = Date.UTC(y, m - 1, d) + secondsOfDay * 1000;
  // Two rounds settle the offset except inside a DST gap, where the later offset wins.
  let guess = wall - offsetMinutesAt(timeZone, wall) * 60000;
  guess = wall - offsetMinutesAt(timeZone, guess) * 60000;
  return guess;
}

/** '+HH:MM' / '-HH:MM' for an offset in minutes. */
export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** ISO 8601 with the given offset: 2026-09-14T13:05:00-05:00 (milliseconds only when not zero). */
export function isoWithOffset(epochMs: number, offsetMinutes: number): string {
  const iso = new Date(epochMs + offsetMinutes * 60000).toISOString();
  const local = iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
  return `${local}${formatOffset(offsetMinutes)}`;
}

export function parseDate(date: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw new Error(`not a real calendar date: ${date}`);
  }
  return [y, mo, d];
}

/** Calendar arithmetic on 'YYYY-MM-DD' (no zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = parseDate(date);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  const [y, m, d] = parseDate(date);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** Whole days from a to b. */
export function daysBetween(a: string, b: string): number {
  const [y1, m1, d1] = parseDate(a);
  const [y2, m2, d2] = parseDate(b);
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / 86_400_000);
}
