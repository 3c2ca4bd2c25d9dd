/** Calendar arithmetic on district-local days (YYYY-MM-DD) and months (YYYYMM numbers). */

export const addDays = (day: string, n: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** Every day from..to, inclusive (none when from > to). */
export function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** 2025-09-14 → 202509 (ClickHouse's toYYYYMM). */
export const monthOf = (day: string): number => Number(day.slice(0, 4) + day.slice(5, 7));

export const firstDayOf = (month: number): string =>
  `${String(Math.floor(month / 100)).padStart(4, '0')}-${String(month % 100).padStart(2, '0')}-01`;

export function lastDayOf(month: number): string {
  const next = new Date(`${firstDayOf(month)}T00:00:00Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return addDays(next.toISOString().slice(0, 10), -1);
}

/** The window cut at month boundaries: one piece per month it touches, in order. */
export function monthPieces(from: string, to: string): { month: number; from: string; to: string }[] {
  const pieces: { month: number; from: string; to: string }[] = [];
  for (let start = from; start <= to;) {
    const month = monthOf(start);
    const end = lastDayOf(month);
    pieces.push({ month, from: start, to: end < to ? end : to });
    start = addDays(end, 1);
  }
  return pieces;
}

/**
 * The window cut into slices that never cross a month or the 16th (at most 16 days each), in order.
 * ClickHouse 18.16 reads one FINAL in one thread; separate slices are read by parallel streams.
 */
export function dateSlices(from: string, to: string): { from: string; to: string }[] {
  return monthPieces(from, to).flatMap((p) => {
    const half = `${p.from.slice(0, 7)}-15`;
    if (p.from > half || p.to <= half) return [{ from: p.from, to: p.to }];
    return [
      { from: p.from, to: half },
      { from: addDays(half, 1), to: p.to },
    ];
  });
}
