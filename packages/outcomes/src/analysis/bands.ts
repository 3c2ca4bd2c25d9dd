import { meanWithCI, suppress, tertileCuts, tertileOf } from '@edusage/stats';
import { goalBand } from '../bands';
import type { StudentWindow } from '../usage';

/** One dosage band of a group: what the evidence table prints (hidden figures are null). */
export interface BandRow {
  band: string;
  /** null when hidden (n < k, or complementary suppression). */
  n: number | null;
  meanPre: number | null;
  meanPost: number | null;
  growth: { mean: number; ciLow: number; ciHigh: number } | null;
  /** Why the growth interval is missing although the band is shown (e.g. n < 2, every growth equal). */
  growthNote: string | null;
  /** Share of the band's students whose growth reached their projected growth (students with one only). */
  shareMetProjected: number | null;
  suppressed: string | null;
}

export const growthOf = (s: StudentWindow) => s.post - s.pre;

function bandFigures(label: string, students: readonly StudentWindow[]): Omit<BandRow, 'suppressed'> {
  const n = students.length;
  const avg = (f: (s: StudentWindow) => number) => (n > 0 ? students.reduce((a, s) => a + f(s), 0) / n : null);
  const ci = meanWithCI(students.map(growthOf), { name: `growth (${label})` });
  const withProjection = students.filter((s) => s.projectedGrowth !== null);
  const met = withProjection.filter((s) => growthOf(s) >= s.projectedGrowth!).length;
  return {
    band: label,
    n,
    meanPre: avg((s) => s.pre),
    meanPost: avg((s) => s.post),
    growth: ci.ok ? { mean: ci.value.mean, ciLow: ci.value.ciLow, ciHigh: ci.value.ciHigh } : null,
    growthNote: ci.ok ? null : ci.reason,
    shareMetProjected: withProjection.length > 0 ? met / withProjection.length : null,
  };
}

/**
 * The band rows with small cells hidden (`suppress`, @edusage/stats): every band under k students and,
 * since the group's total is published, complementary cells so that no hidden band can be recovered as
 * total − shown bands. An empty band (n = 0) describes nobody: it is shown as 0 and takes no part,
 * unless the group has fewer than k students: then every band is hidden, the empty ones too (zeros
 * beside one hidden band would say that all of a few students are in it).
 */
export function bandTable(bands: [string, StudentWindow[]][], k: number): BandRow[] {
  const figures = bands.map(([label, list]) => bandFigures(label, list));
  const occupied = figures.filter((f) => f.n! > 0);
  const total = occupied.reduce((sum, f) => sum + f.n!, 0);
  if (total > 0 && total < k) return figures.map((f) => hiddenBand(f.band, 'suppressed (n<k)'));
  const result = suppress(
    occupied.map((f) => ({ label: f.band, n: f.n!, value: f })),
    { k },
  );
  const reason = new Map(result.cells.map((c) => [c.label, c.suppressed]));
  return figures.map((f) => {
    const suppressed = reason.get(f.band) ?? null;
    return suppressed ? hiddenBand(f.band, suppressed) : { ...f, suppressed: null };
  });
}

export function hiddenBand(band: string, suppressed: string): BandRow {
  return {
    band,
    n: null,
    meanPre: null,
    meanPost: null,
    growth: null,
    growthNote: null,
    shareMetProjected: null,
    suppressed,
  };
}

export function goalBands(students: readonly StudentWindow[], goal: number): [string, StudentWindow[]][] {
  const out: [string, StudentWindow[]][] = [
    ['none', []],
    ['below_goal', []],
    ['at_goal', []],
  ];
  for (const s of students) out.find(([b]) => b === goalBand(s.minutesPerWeek, goal))![1].push(s);
  return out;
}

/**
 * Data-driven bands: tertiles of minutes per week among the group (numpy's default quantiles). Ties
 * (e.g. many students with 0 minutes) can leave a tertile empty or larger than a third.
 */
export function tertileBands(
  students: readonly StudentWindow[],
):
  | { ok: true; bands: [string, StudentWindow[]][]; cuts: { low: number; high: number } }
  | { ok: false; reason: string } {
  const cuts = tertileCuts(
    students.map((s) => s.minutesPerWeek),
    'minutes per week',
  );
  if (!cuts.ok) return cuts;
  const out: [string, StudentWindow[]][] = [
    ['low', []],
    ['middle', []],
    ['high', []],
  ];
  for (const s of students) out.find(([b]) => b === tertileOf(s.minutesPerWeek, cuts.value))![1].push(s);
  return { ok: true, bands: out, cuts: cuts.value };
}
