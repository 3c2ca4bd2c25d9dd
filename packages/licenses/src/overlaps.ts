import type { LicenseRecord } from './license-rows';
import { earlierDay, laterDay } from './window';

/**
 * Licenses of one app that cover some of the same people on some of the same days of the window: two
 * vendors' district seats, a district license beside a school's, last year's contract beside this
 * year's across July 1. Each counts every active user of its scope (usage is not split between
 * licenses), so each may look well used while their seats together are not: their seats add up, their
 * users do not. Reported, not merged: which license a person "uses" is not in the data.
 */
export interface LicenseOverlap {
  app_id: string;
  /** In id order. */
  license_ids: string[];
  /** The licenses' seats together; null when one has unlimited seats. */
  seats: number | null;
  /** The days of the window they have in common with another of them. */
  from: string;
  to: string;
}

type Covering = Pick<
  LicenseRecord,
  | 'license_id'
  | 'app_id'
  | 'school_id'
  | 'audience'
  | 'grades'
  | 'term_start'
  | 'term_end'
  | 'seats'
  | 'unlimited_seats'
>;

/** The days in [from, to] both licenses are in force, or null. */
function commonDays(a: Covering, b: Covering, w: { from: string; to: string }): { from: string; to: string } | null {
  const from = laterDay(laterDay(a.term_start, b.term_start), w.from);
  const to = earlierDay(earlierDay(a.term_end, b.term_end), w.to);
  return from <= to ? { from, to } : null;
}

/** Whether some person could count for both: the same app, scopes, audiences and grade bands that meet. */
function samePeople(a: Covering, b: Covering): boolean {
  if (a.app_id !== b.app_id) return false;
  if (a.school_id !== '' && b.school_id !== '' && a.school_id !== b.school_id) return false;
  if (a.audience !== 'all' && b.audience !== 'all' && a.audience !== b.audience) return false;
  // An empty band is every grade; a teachers-only license has none.
  if (a.grades.length > 0 && b.grades.length > 0 && !a.grades.some((g) => b.grades.includes(g))) return false;
  return true;
}

/** The groups of overlapping licenses among `licenses` in the window (connected by pairwise overlaps). */
export function licenseOverlaps(licenses: readonly Covering[], w: { from: string; to: string }): LicenseOverlap[] {
  const sorted = [...licenses].sort((a, b) => a.license_id.localeCompare(b.license_id));
  const group = sorted.map((_, i) => i);
  const root = (i: number): number => (group[i] === i ? i : (group[i] = root(group[i]!)));
  const span = new Map<number, { from: string; to: string }>();
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      if (!samePeople(sorted[i]!, sorted[j]!)) continue;
      const days = commonDays(sorted[i]!, sorted[j]!, w);
      if (days === null) continue;
      const [ri, rj] = [root(i), root(j)];
      const merged = [span.get(ri), span.get(rj), days].filter((d) => d !== undefined);
      group[rj] = ri;
      span.set(ri, {
        from: merged.map((d) => d.from).reduce(earlierDay),
        to: merged.map((d) => d.to).reduce(laterDay),
      });
    }
  }
  const members = new Map<number, Covering[]>();
  sorted.forEach((l, i) => {
    const r = root(i);
    if (span.has(r)) members.set(r, [...(members.get(r) ?? []), l]);
  });
  return [...members].map(([r, ls]) => ({
    app_id: ls[0]!.app_id,
    license_ids: ls.map((l) => l.license_id),
    seats: ls.some((l) => l.unlimited_seats === 1) ? null : ls.reduce((s, l) => s + l.seats, 0),
    ...span.get(r)!,
  }));
}
