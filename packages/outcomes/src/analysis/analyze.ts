import type { ClickHouseClient } from '@edusage/clickhouse';
import { DEFAULT_GOAL_MINUTES_PER_WEEK } from '../bands';
import { loadStudentWindows, type StudentWindow, type WindowQuery } from '../usage';
import { bandTable, goalBands, hiddenBand, tertileBands, type BandRow } from './bands';
import { binnedScatter, type BinnedScatter } from './binned';
import { appCost, costPerStudent, type CostPerStudent } from './cost';
import { atGoalEffect, type EffectSize } from './effect-size';
import { groupsOf, type Group } from './groups';
import {
  usageGrowthCorrelations,
  usageRegressions,
  type CorrelationRow,
  type Outcome,
  type UsageEffect,
} from './relation';
import { hiddenGroups, suppressTable } from './suppression';
import { verdict, type Verdict } from './verdict';

export const DEFAULT_MIN_CELL = 10;

export interface AnalyzeOptions extends WindowQuery {
  /** Smallest published cell (students); default 10. */
  k?: number;
  /** Goal in engaged minutes per week; default 30. */
  goal?: number;
}

export interface GroupReport {
  dimension: Group['dimension'];
  id: string;
  n: number;
  goalBands: BandRow[];
  tertiles: { cuts: { low: number; high: number }; bands: BandRow[] } | { reason: string };
  correlations: Outcome<CorrelationRow>[];
  regressions: Outcome<UsageEffect>[];
  /** Usage against growth in equal-count bins of at least k students (no point per student). */
  binned: Outcome<BinnedScatter>;
  effect: Outcome<EffectSize>;
  verdict: Verdict;
  cost: CostPerStudent | null;
}

export interface Analysis {
  query: WindowQuery;
  k: number;
  goal: number;
  /** Students with a pre and a post test in the window. */
  students: number;
  withoutPair: number;
  duplicateRecords: number;
  groups: GroupReport[];
  /** Groups not shown (fewer than k students, or hidden so that no small group can be recovered). */
  hidden: Record<string, number>;
  /** Why there is no cost (no license for the app, mixed currencies); null when there is. */
  costNote: string | null;
}

/** Loads the window's students from ClickHouse and analyzes them (only aggregates leave this function). */
export async function analyze(ch: ClickHouseClient, o: AnalyzeOptions): Promise<Analysis> {
  const data = await loadStudentWindows(ch, o);
  const cost = await appCost(ch, o.districtId, o.app, o.from, o.to);
  const analysis = analyzeStudents(o, data.students, typeof cost === 'object' ? cost : null);
  return {
    ...analysis,
    withoutPair: data.withoutPair,
    duplicateRecords: data.duplicateRecords,
    costNote:
      cost === null
        ? `no license of ${o.app} in the inventory for this window`
        : typeof cost === 'string'
          ? cost
          : null,
  };
}

/** The analysis of given students (pure: used by `analyze` and by tests with the generator's truth). */
export function analyzeStudents(
  o: AnalyzeOptions,
  students: readonly StudentWindow[],
  cost: Parameters<typeof costPerStudent>[0] | null = null,
): Omit<Analysis, 'withoutPair' | 'duplicateRecords' | 'costNote'> {
  const k = o.k ?? DEFAULT_MIN_CELL;
  const goal = o.goal ?? DEFAULT_GOAL_MINUTES_PER_WEEK;
  const all = groupsOf(students);
  const hidden: Record<string, number> = {};
  const shown: Group[] = [];
  for (const dimension of ['district', 'school', 'class', 'grade', 'campus'] as const) {
    const groups = all.filter((g) => g.dimension === dimension);
    const isHidden =
      dimension === 'district'
        ? groups.map((g) => g.students.length < k)
        : hiddenGroups(
            groups.map((g) => g.students.length),
            k,
          );
    groups.forEach((g, i) => (isHidden[i] ? (hidden[dimension] = (hidden[dimension] ?? 0) + 1) : shown.push(g)));
  }
  const reports = shown.map((g) => groupReport(g, o.app, goal, k, cost));
  for (const r of reports) protectCounts(r);
  hideAcrossGroups(reports, all, goal, k);
  return { query: pickQuery(o), k, goal, students: students.length, groups: reports, hidden };
}

function groupReport(
  g: Group,
  app: string,
  goal: number,
  k: number,
  cost: Parameters<typeof costPerStudent>[0] | null,
): GroupReport {
  const tertiles = tertileBands(g.students);
  // Fixed effects in every group where grades or schools vary (README); @edusage/stats fits the
  // dummies' sparse design in well under a second even for the district.
  const regressions = usageRegressions(g.students);
  const effect = atGoalEffect(g.students, goal, k);
  const active = g.students.filter((s) => s.minutesPerWeek > 0).length;
  const atGoal = g.students.filter((s) => s.minutesPerWeek >= goal).length;
  return {
    dimension: g.dimension,
    id: g.id,
    n: g.students.length,
    goalBands: bandTable(goalBands(g.students, goal), k),
    tertiles: tertiles.ok ? { cuts: tertiles.cuts, bands: bandTable(tertiles.bands, k) } : { reason: tertiles.reason },
    correlations: usageGrowthCorrelations(g.students),
    regressions,
    binned: binnedScatter(g.students, k),
    effect,
    verdict: verdict(app, regressions[0], effect, g.students.length),
    // Cost only for the district: licenses are not split by school here.
    cost: cost && g.dimension === 'district' ? costPerStudent(cost, active, atGoal) : null,
  };
}

/**
 * The goal bands of one dimension's groups form a table whose column totals are the district's bands:
 * hide cells so that none can be recovered from the district's figures (see `suppressTable`). Hidden
 * groups enter as rows of zeros (they are not shown, their cells count as hidden).
 */
function hideAcrossGroups(reports: GroupReport[], all: Group[], goal: number, k: number): void {
  // Looked up by key: a find over the reports per group was quadratic in the 2 000 classes.
  const shown = new Map(reports.map((r) => [`${r.dimension}\u0000${r.id}`, r]));
  for (const dimension of ['school', 'class', 'grade', 'campus'] as const) {
    const groups = all.filter((g) => g.dimension === dimension);
    if (groups.length === 0) continue;
    const rows = groups.map((g) => shown.get(`${dimension}\u0000${g.id}`));
    // True counts of every group (shown or not); a hidden group's cells are all hidden.
    const counts = groups.map((g) => goalBands(g.students, goal).map(([, list]) => list.length));
    const hidden = suppressTable(
      counts,
      rows.map((r, i) => (r ? r.goalBands.map((b) => b.suppressed !== null) : counts[i]!.map(() => true))),
      k,
    );
    rows.forEach((r, i) => {
      if (!r) return;
      r.goalBands = r.goalBands.map((b, c) =>
        hidden[i]![c]! && b.suppressed === null ? hiddenBand(b.band, 'suppressed (complementary)') : b,
      );
      protectCounts(r);
    });
  }
}

/**
 * Figures that would reveal a hidden band's size: the effect size's group sizes and the cost per
 * student at goal / per active student (total cost ÷ count). They are withheld when a band is hidden.
 */
function protectCounts(r: GroupReport): void {
  const hiddenBand = (band: string) => r.goalBands.find((b) => b.band === band)?.suppressed != null;
  if (['none', 'below_goal', 'at_goal'].some(hiddenBand) && r.effect.ok)
    r.effect = {
      ok: false,
      reason: 'not shown: a dosage band of this group is hidden (fewer than k students, or to protect one)',
    };
  if (r.cost) {
    if (hiddenBand('at_goal')) r.cost = { ...r.cost, perStudentAtGoal: null };
    if (hiddenBand('at_goal') || hiddenBand('below_goal')) r.cost = { ...r.cost, perActiveStudent: null };
  }
}

function pickQuery(o: WindowQuery): WindowQuery {
  return { districtId: o.districtId, app: o.app, assessment: o.assessment, subject: o.subject, from: o.from, to: o.to };
}
