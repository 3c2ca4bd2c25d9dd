import { suppress } from '@edusage/stats';
import type { StudentWindow } from '../usage';
import { growthOf } from './bands';
import type { Outcome } from './relation';

/** Most usage bins of a binned scatter. */
export const MAX_USAGE_BINS = 20;

/** One usage bin: its students' mean minutes a week and mean growth (hidden figures are null). */
export interface UsageBin {
  /** 1 = least use. */
  bin: number;
  n: number | null;
  meanMinutesPerWeek: number | null;
  meanGrowth: number | null;
  suppressed: string | null;
}

export interface BinnedScatter {
  bins: UsageBin[];
  /** Of the whole group: the point the fitted line passes through. */
  meanMinutesPerWeek: number;
  meanGrowth: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Usage against growth without a point per student (which would publish student-level data): the
 * students ordered by minutes a week (ties in pseudonym order) and cut into equal-count bins, as many
 * as keep k students in each (at most MAX_USAGE_BINS); each bin is its mean usage and mean growth.
 * No bin edge is published (an edge is one student's usage), only means of at least k students; a bin
 * under k would be suppressed with its complement (`suppress`, as the band tables), which equal-count
 * bins of at least k make the exception. Fewer than 2k students: no scatter.
 */
export function binnedScatter(students: readonly StudentWindow[], k: number): Outcome<BinnedScatter> {
  const count = Math.min(MAX_USAGE_BINS, Math.floor(students.length / k));
  if (count < 2) return { ok: false, reason: `fewer than ${2 * k} students (2 bins of k = ${k}): no binned scatter` };
  const ordered = [...students].sort(
    (a, b) => a.minutesPerWeek - b.minutesPerWeek || a.personId.localeCompare(b.personId),
  );
  const groups = Array.from({ length: count }, (_, i) =>
    ordered.slice(Math.floor((i * ordered.length) / count), Math.floor(((i + 1) * ordered.length) / count)),
  );
  const table = suppress(
    groups.map((g, i) => ({ label: String(i + 1), n: g.length, value: g })),
    { k },
  );
  const bins = table.cells.map((c, i): UsageBin => {
    const g = c.value;
    return g === null
      ? { bin: i + 1, n: null, meanMinutesPerWeek: null, meanGrowth: null, suppressed: c.suppressed }
      : {
          bin: i + 1,
          n: g.length,
          meanMinutesPerWeek: mean(g.map((s) => s.minutesPerWeek)),
          meanGrowth: mean(g.map(growthOf)),
          suppressed: null,
        };
  });
  return {
    ok: true,
    value: {
      bins,
      meanMinutesPerWeek: mean(students.map((s) => s.minutesPerWeek)),
      meanGrowth: mean(students.map(growthOf)),
    },
  };
}
