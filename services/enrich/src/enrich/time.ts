import { BoundedMap } from '@edusage/runtime';

/**
 * The district's local calendar day (YYYY-MM-DD) of an instant, in an IANA zone, via Intl (so DST
 * and historical offsets come from the runtime's tz database). Results are cached per zone and UTC
 * minute: every zone offset in use is a whole number of minutes, so an instant's local date only
 * depends on its minute.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const cache = new BoundedMap<string, string>(100_000);

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws RangeError for a zone the runtime does not know. */
export function assertTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    assertTimeZone(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localDate(epochMs: number, timeZone: string): string {
  const minute = Math.floor(epochMs / 60_000);
  const key = `${timeZone}|${minute}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let y = '';
  let m = '';
  let d = '';
  for (const p of formatter(timeZone).formatToParts(new Date(minute * 60_000))) {
    if (p.type === 'year') y = p.value;
    else if (p.type === 'month') m = p.value;
    else if (p.type === 'day') d = p.value;
  }
  const result = `${y.padStart(4, '0')}-${m}-${d}`;
  return cache.set(key, result);
}
