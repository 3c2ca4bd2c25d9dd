import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ASSESSMENT_SPECS, type AssessmentTruth } from './assessments';
import { toCsv } from './csv';

/** Headers as the vendors name them (a subset of their columns: what `outcomes import` reads, plus context). */
const MAP_HEADER = [
  'TermName',
  'StudentID',
  'Subject',
  'Course',
  'GrowthMeasureYN',
  'TestType',
  'TestName',
  'TestStartDate',
  'TestRITScore',
  'TestStandardError',
  'TestPercentile',
  'FallToSpringProjectedGrowth',
] as const;
const IREADY_HEADER = [
  'Student ID',
  'Student Grade',
  'Academic Year',
  'Completion Date',
  'Norming Window',
  'Baseline Diagnostic (Y/N)',
  'Most Recent Diagnostic YTD (Y/N)',
  'Overall Scale Score',
  'Percentile',
  'Diagnostic Gain',
  'Annual Typical Growth Measure',
] as const;

/** YYYY-MM-DD → M/D/YYYY (i-Ready) or MM/DD/YYYY (MAP). */
function usDate(day: string, pad: boolean): string {
  const [y, m, d] = day.split('-');
  const p = (s: string) => (pad ? s : String(Number(s)));
  return `${p(m!)}/${p(d!)}/${y}`;
}

/** Percentile of a score among its grade (normal model of the spec), 1..99 as vendors print it. */
function percentile(t: AssessmentTruth, score: number): number {
  const spec = ASSESSMENT_SPECS.find((s) => s.assessment === t.assessment && s.subject === t.subject)!;
  const z = (score - spec.gradeMean(Number(t.grade))) / spec.preSd;
  const cdf = 1 / (1 + Math.exp(-1.702 * z)); // logistic approximation of the normal CDF
  return Math.min(99, Math.max(1, Math.round(cdf * 100)));
}

function baseGrowth(t: AssessmentTruth): number {
  return ASSESSMENT_SPECS.find((s) => s.assessment === t.assessment && s.subject === t.subject)!.baseGrowth;
}

function mapRows(truths: AssessmentTruth[]): object[] {
  const subjectName = { math: 'Mathematics', reading: 'Reading' } as const;
  return truths
    .filter((t) => t.assessment === 'map_growth')
    .flatMap((t) =>
      (['pre', 'post'] as const).map((which) => ({
        TermName: which === 'pre' ? 'Fall' : 'Spring',
        StudentID: t.localId,
        Subject: subjectName[t.subject],
        Course: subjectName[t.subject],
        GrowthMeasureYN: 'TRUE',
        TestType: 'Survey With Goals',
        TestName: `Growth: ${subjectName[t.subject]}`,
        TestStartDate: usDate(which === 'pre' ? t.preDate : t.postDate, true),
        TestRITScore: t[which],
        TestStandardError: '3.2',
        TestPercentile: percentile(t, t[which]),
        FallToSpringProjectedGrowth: which === 'pre' ? baseGrowth(t) : '',
      })),
    );
}

function iReadyRows(truths: AssessmentTruth[], subject: 'math' | 'reading'): object[] {
  return truths
    .filter((t) => t.assessment === 'iready_diagnostic' && t.subject === subject)
    .flatMap((t) =>
      (['pre', 'post'] as const).map((which) => ({
        'Student ID': t.localId,
        'Student Grade': String(Number(t.grade)),
        'Academic Year': '',
        'Completion Date': usDate(which === 'pre' ? t.preDate : t.postDate, false),
        'Norming Window': which === 'pre' ? 'Fall' : 'Spring',
        'Baseline Diagnostic (Y/N)': which === 'pre' ? 'Y' : 'N',
        'Most Recent Diagnostic YTD (Y/N)': which === 'post' ? 'Y' : 'N',
        'Overall Scale Score': t[which],
        Percentile: percentile(t, t[which]),
        'Diagnostic Gain': which === 'pre' ? 0 : t.post - t.pre,
        'Annual Typical Growth Measure': baseGrowth(t),
      })),
    );
}

/**
 * Writes the assessments in vendor layouts: `assessments/map_growth.csv` (NWEA MAP Growth CDF
 * AssessmentResults), `assessments/iready_math.csv` (i-Ready Diagnostic with a Quantile column, so it
 * reads as math) and `assessments/iready_ela.csv` (with a Lexile column). Students appear by their local
 * id (roster `identifier`), as vendor exports carry them. Returns file → data rows.
 */
export async function writeAssessmentFiles(truths: AssessmentTruth[], outDir: string): Promise<Record<string, number>> {
  const dir = join(outDir, 'assessments');
  await mkdir(dir, { recursive: true });
  const files: Record<string, { header: readonly string[]; rows: object[] }> = {
    'map_growth.csv': { header: MAP_HEADER, rows: mapRows(truths) },
    'iready_math.csv': { header: [...IREADY_HEADER, 'Quantile Measure'], rows: iReadyRows(truths, 'math') },
    'iready_ela.csv': { header: [...IREADY_HEADER, 'Lexile Measure'], rows: iReadyRows(truths, 'reading') },
  };
  const counts: Record<string, number> = {};
  for (const [name, f] of Object.entries(files)) {
    await writeFile(join(dir, name), toCsv(f.header, f.rows));
    counts[`assessments/${name}`] = f.rows.length;
  }
  return counts;
}
