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
import { hideNested } from './nesting';
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
  /** Tertiles of minutes/week in the group; their cut points are not published (each is one student's usage, or between two). */
  tertiles: { bands: BandRow[] } | { reason: string };
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
  /**
   * Students with a pre and a post test in the window. Like the two counts below, null when it is 1 to
   * k − 1 (a count under k is not published: "fewer than k"); 0 is shown.
   */
  students: number | null;
  /** Students with a test in the window but no pair. */
  withoutPair: number | null;
  /** Same-day records of one student beyond the one counted. */
  duplicateRecords: number | null;
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
    withoutPair: publishedCount(data.withoutPair, analysis.k),
    duplicateRecords: publishedCount(data.duplicateRecords, analysis.k),
    costNote:
      cost === null
        ? `no license of ${o.app} in the inventory for this window`
        : typeof cost === 'string'
          ? cost
          : null,
  };
}

/** A count as published: null when it is 1 to k − 1 (shown as "fewer than k"); 0 and k or more as they are. */
export function publishedCount(n: number, k: number): number | null {
  return n === 0 || n >= k ? n : null;
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
  // Each group's goal bands, suppressed within the group (`bandTable`); then the rules across groups
  // (`hideNested`: groups nested in others, and each dimension against the district).
  const bands = all.map((g) => goalBands(g.students, goal));
  const rows = all.map((g, i) => (g.students.length >= k ? bandTable(bands[i]!, k) : null));
  const hidden = hideNested(
    all,
    bands.map((list) => list.map(([, members]) => members.length)),
    {
      group: all.map((g) => g.students.length < k),
      bands: rows.map((row, i) => (row ? row.map((b) => b.suppressed !== null) : bands[i]!.map(() => true))),
    },
    k,
  );
  const hiddenCount: Record<string, number> = {};
  const reports: GroupReport[] = [];
  all.forEach((g, i) => {
    if (hidden.group[i]) {
      hiddenCount[g.dimension] = (hiddenCount[g.dimension] ?? 0) + 1;
      return;
    }
    const goalBandRows = rows[i]!.map((b, c) =>
      hidden.bands[i]![c]! && b.suppressed === null ? hiddenBand(b.band, 'suppressed (complementary)') : b,
    );
    const report = groupReport(g, goalBandRows, o.app, goal, k, cost);
    protectCounts(report);
    reports.push(report);
  });
  return {
    query: pickQuery(o),
    k,
    goal,
    students: publishedCount(students.length, k),
    groups: reports,
    hidden: hiddenCount,
  };
}

function groupReport(
  g: Group,
  goalBandRows: BandRow[],
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
    goalBands: goalBandRows,
    tertiles: tertiles.ok ? { bands: bandTable(tertiles.bands, k) } : { reason: tertiles.reason },
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
 * Figures that would reveal a hidden band's size or mean: the effect size's group sizes, the cost per
 * student at goal / per active student (total cost ÷ count), and the tertiles and usage bins (the
 * students who never used the app are the low tertile whenever they are a third to two thirds of the
 * group, and the bins at 0 minutes bound them: with the shown band, the hidden ones follow, means
 * included). They are withheld when a band is hidden.
 */
function protectCounts(r: GroupReport): void {
  const hiddenBand = (band: string) => r.goalBands.find((b) => b.band === band)?.suppressed != null;
  if (!['none', 'below_goal', 'at_goal'].some(hiddenBand)) return;
  const reason = 'not shown: a dosage band of this group is hidden (fewer than k students, or to protect one)';
  if (r.effect.ok) r.effect = { ok: false, reason };
  if ('bands' in r.tertiles) r.tertiles = { reason };
  if (r.binned.ok) r.binned = { ok: false, reason };
  if (r.cost) {
    if (hiddenBand('at_goal')) r.cost = { ...r.cost, perStudentAtGoal: null };
    if (hiddenBand('at_goal') || hiddenBand('below_goal')) r.cost = { ...r.cost, perActiveStudent: null };
  }
}

function pickQuery(o: WindowQuery): WindowQuery {
  return {
    districtId: o.districtId,
    app: o.app,
    assessment: o.assessment,
    subject: o.subject,
    from: o.from,
    to: o.to,
    ...(o.minPairDays !== undefined ? { minPairDays: o.minPairDays } : {}),
  };
}
