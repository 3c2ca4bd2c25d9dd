import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import type { Analysis, GroupReport } from './analyze';
import type { BandRow } from './bands';

const num = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '—' : v.toFixed(d));
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(0)}%`);
const ci = (lo: number, hi: number, d = 2) => `[${lo.toFixed(d)}, ${hi.toFixed(d)}]`;
/** A count of the analysis: null = 1 to k − 1, not published. */
const count = (n: number | null, k: number) => (n === null ? `fewer than ${k}` : String(n));
const plain = { head: [] as string[], border: [] as string[] };
const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
const CAMPUS_LABELS: Record<string, string> = {
  mostly_on: 'users mostly on campus (≥ 2/3 of their time with a known place)',
  mixed: 'users on and off campus (between 1/3 and 2/3 on campus)',
  mostly_off: 'users mostly off campus (≤ 1/3 on campus)',
  unknown: 'users whose place of use is unknown',
};
const groupName = (g: GroupReport) =>
  g.dimension === 'district'
    ? 'district'
    : g.dimension === 'campus'
      ? `campus ${g.id}: ${CAMPUS_LABELS[g.id] ?? g.id}`
      : `${g.dimension} ${g.id}`;

function bandCells(b: BandRow): string[] {
  if (b.suppressed) return [b.band, `hidden ${b.suppressed.replace('suppressed ', '')}`, '', '', '', ''];
  if (b.n === 0) return [b.band, '0', '—', '—', '—', '—'];
  return [
    b.band,
    String(b.n),
    num(b.meanPre),
    num(b.meanPost),
    b.growth ? `${num(b.growth.mean, 2)} ${ci(b.growth.ciLow, b.growth.ciHigh)}` : (b.growthNote ?? '—'),
    pct(b.shareMetProjected),
  ];
}

/** The evidence table: per group, the goal bands, then correlation, regression, effect size and verdict. */
export function renderAnalysisTable(
  a: Analysis,
  names: Map<string, string> = new Map(),
  opts: { dimensions?: GroupReport['dimension'][] } = {},
): string {
  const q = a.query;
  const out = [
    `Evidence: ${names.get(q.app) ?? q.app} and ${q.assessment} ${q.subject}, district ${q.districtId}, tests ${q.from} to ${q.to}`,
    `${count(a.students, a.k)} students with a pre and a post test; goal ${a.goal} min/week; cells under ${a.k} students hidden` +
      (a.withoutPair !== 0 ? `; ${count(a.withoutPair, a.k)} students without a pre/post pair left out` : '') +
      (a.duplicateRecords !== 0
        ? `; ${count(a.duplicateRecords, a.k)} more records of a test occasion (its highest score counted)`
        : ''),
  ];
  const hidden = Object.entries(a.hidden).map(([d, n]) => `${d} groups: ${n}`);
  if (hidden.length > 0) out.push(`Not shown (fewer than ${a.k} students, or to protect one): ${hidden.join(', ')}`);
  for (const g of a.groups) {
    if (opts.dimensions && !opts.dimensions.includes(g.dimension)) continue;
    out.push('', `${names.get(g.id) ?? groupName(g)} (n = ${g.n})`);
    const t = new Table({
      head: ['band', 'n', 'mean pre', 'mean post', 'growth [95% CI]', 'met projected'],
      style: plain,
      chars,
    });
    t.push(...g.goalBands.map(bandCells));
    out.push(t.toString());
    out.push(
      'bands' in g.tertiles
        ? `  tertiles of min/week: ` +
            g.tertiles.bands
              .map(
                (b) =>
                  `${b.band} ${b.suppressed ? 'hidden' : `n ${b.n}, growth ${b.growth ? num(b.growth.mean, 2) : '—'}`}`,
              )
              .join('; ')
        : `  tertiles: ${'reason' in g.tertiles ? g.tertiles.reason : ''}`,
    );
    for (const c of g.correlations)
      out.push(
        c.ok
          ? `  ${c.value.method} r = ${c.value.r.toFixed(3)} ${ci(c.value.ciLow, c.value.ciHigh, 3)}, p = ${c.value.p.toPrecision(2)}`
          : `  correlation: ${c.reason}`,
      );
    const reasons = new Set<string>();
    for (const r of g.regressions) {
      if (!r.ok && reasons.has(r.reason)) continue; // the model with fixed effects fails for the same reason
      if (!r.ok) reasons.add(r.reason);
      out.push(
        r.ok
          ? `  ${r.value.model}: usage ${r.value.estimate.toFixed(3)} per min/week, 95% CI ${ci(r.value.classical.ciLow, r.value.classical.ciHigh, 3)} (classical), ${ci(r.value.hc1.ciLow, r.value.hc1.ciHigh, 3)} (HC1); R² ${r.value.r2.toFixed(2)}`
          : `  regression: ${r.reason}`,
      );
    }
    out.push(
      g.effect.ok
        ? `  Hedges g (at goal vs below/none): ${g.effect.value.g.toFixed(2)} ${ci(g.effect.value.ciLow, g.effect.value.ciHigh)}; baseline difference ${num(g.effect.value.baselineSd, 2)} SD`
        : `  Hedges g: ${g.effect.reason}`,
    );
    if (g.cost)
      out.push(
        `  cost: ${g.cost.currency} ${g.cost.totalCost.toFixed(2)}; per active student ${num(g.cost.perActiveStudent, 2)}; per student at goal ${num(g.cost.perStudentAtGoal, 2)}`,
      );
    out.push(`  Verdict: ${g.verdict.text}`);
    for (const c of g.verdict.caveats) out.push(`    - ${c}`);
  }
  if (a.costNote) out.push('', `Cost: ${a.costNote}`);
  return out.join('\n');
}

/** The columns of the analysis CSV (`outcomes analyze --format csv`, the API's CSV): a header even with no group. */
export const ANALYSIS_CSV_COLUMNS = [
  'dimension',
  'group',
  'group_n',
  'view',
  'band',
  'n',
  'mean_pre',
  'mean_post',
  'growth_mean',
  'growth_ci_low',
  'growth_ci_high',
  'share_met_projected',
  'suppressed',
  'usage_coefficient',
  'usage_hc1_ci_low',
  'usage_hc1_ci_high',
  'usage_hc1_p',
  'meets_tier_iii',
] as const;

export type AnalysisCsvRecord = Record<(typeof ANALYSIS_CSV_COLUMNS)[number], string | number | boolean>;

/**
 * The CSV records of an analysis: one per group × band view, goal bands then tertiles ('' = not
 * available or suppressed, with the reason).
 */
export function analysisCsvRecords(a: Analysis): AnalysisCsvRecord[] {
  return a.groups.flatMap((g) => {
    const fit = g.regressions[0];
    const tertiles = 'bands' in g.tertiles ? g.tertiles.bands : [];
    const bands = [...g.goalBands.map((b) => ['goal', b] as const), ...tertiles.map((b) => ['tertile', b] as const)];
    return bands.map(([view, b]) => ({
      dimension: g.dimension,
      group: g.id,
      group_n: g.n,
      view,
      band: b.band,
      n: b.n ?? '',
      mean_pre: b.meanPre ?? '',
      mean_post: b.meanPost ?? '',
      growth_mean: b.growth?.mean ?? '',
      growth_ci_low: b.growth?.ciLow ?? '',
      growth_ci_high: b.growth?.ciHigh ?? '',
      share_met_projected: b.shareMetProjected ?? '',
      suppressed: b.suppressed ?? '',
      usage_coefficient: fit?.ok ? fit.value.estimate : '',
      usage_hc1_ci_low: fit?.ok ? fit.value.hc1.ciLow : '',
      usage_hc1_ci_high: fit?.ok ? fit.value.hc1.ciHigh : '',
      usage_hc1_p: fit?.ok ? fit.value.hc1.p : '',
      meets_tier_iii: g.verdict.meetsTierIII,
    }));
  });
}

export function renderAnalysisCsv(a: Analysis): string {
  return stringify(analysisCsvRecords(a), { header: true, columns: [...ANALYSIS_CSV_COLUMNS] });
}

export function renderAnalysisJson(a: Analysis): string {
  return JSON.stringify(a, null, 2);
}
