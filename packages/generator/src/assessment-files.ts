import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ASSESSMENT_SPECS, type AssessmentSpec, type AssessmentTruth } from './assessments';
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

/** Renaissance Star export columns (a subset; no names): ids, dates, window, grade and the scores. */
const STAR_HEADER = [
  'SchoolYear',
  'StudentSourcedID',
  'StudentIdentifier',
  'CurrentGrade',
  'AssessmentID',
  'CompletedDate',
  'CompletedDateLocal',
  'AssessmentType',
  'AssessmentStatus',
  'ScreeningPeriodWindowName',
  'Grade',
  'ScaledScore',
  'StandardErrorOfMeasurement',
  'PercentileRank',
] as const;

/** YYYY-MM-DD → M/D/YYYY (i-Ready) or MM/DD/YYYY (MAP). */
function usDate(day: string, pad: boolean): string {
  const [y, m, d] = day.split('-');
  const p = (s: string) => (pad ? s : String(Number(s)));
  return `${p(m!)}/${p(d!)}/${y}`;
}

function specOf(t: AssessmentTruth): AssessmentSpec {
  return ASSESSMENT_SPECS.find((s) => s.assessment === t.assessment && s.subject === t.subject)!;
}

const ofLayout = (truths: AssessmentTruth[], layout: AssessmentSpec['layout'], subject?: AssessmentSpec['subject']) =>
  truths.filter((t) => specOf(t).layout === layout && (subject === undefined || t.subject === subject));

const testDay = (t: AssessmentTruth, which: 'pre' | 'post') => (which === 'pre' ? t.preDate : t.postDate);

/** The school year a day belongs to, as its spring year (2026-09-01 → 2027), as Ed-Fi names it. */
function schoolYear(day: string): number {
  const [y, m] = day.split('-').map(Number);
  return m! >= 7 ? y! + 1 : y!;
}

/** Percentile of a score among its grade (normal model of the spec), 1..99 as vendors print it. */
function percentile(t: AssessmentTruth, score: number): number {
  const spec = specOf(t);
  const z = (score - spec.gradeMean(Number(t.grade))) / spec.preSd;
  const cdf = 1 / (1 + Math.exp(-1.702 * z)); // logistic approximation of the normal CDF
  return Math.min(99, Math.max(1, Math.round(cdf * 100)));
}

function baseGrowth(t: AssessmentTruth): number {
  return specOf(t).baseGrowth;
}

function mapRows(truths: AssessmentTruth[]): object[] {
  const subjectName = { math: 'Mathematics', reading: 'Reading' } as const;
  return ofLayout(truths, 'map-growth').flatMap((t) =>
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
  return ofLayout(truths, 'iready', subject).flatMap((t) =>
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
 * Star Reading / Math: one product per file, told apart by a Lexile resp. Quantile column (values
 * illustrative, rising with the score). Tests end at 10:00 school time, written as Star does: the local
 * time with a `Z` (CompletedDateLocal) and the UTC time (CompletedDate, a US district: same day).
 */
function starRows(truths: AssessmentTruth[], subject: 'math' | 'reading'): object[] {
  return ofLayout(truths, 'star', subject).flatMap((t, i) =>
    (['pre', 'post'] as const).map((which) => {
      const day = testDay(t, which);
      const score = t[which];
      const year = schoolYear(day);
      return {
        SchoolYear: `${year - 1}-${year}`,
        StudentSourcedID: t.sourcedId,
        StudentIdentifier: t.localId,
        CurrentGrade: String(Number(t.grade)),
        AssessmentID: `star-${subject}-${which}-${String(i).padStart(6, '0')}`,
        CompletedDate: `${day}T16:00:00.000Z`,
        CompletedDateLocal: `${day}T10:00:00.000Z`,
        AssessmentType: 'Enterprise',
        AssessmentStatus: 'Active',
        ScreeningPeriodWindowName: which === 'pre' ? 'Fall' : 'Spring',
        Grade: String(Number(t.grade)),
        ScaledScore: score,
        StandardErrorOfMeasurement: '0.38',
        PercentileRank: percentile(t, score),
        ...(subject === 'math'
          ? { Quantile: `${Math.max(0, score - 200)}Q` }
          : { Lexile: `${Math.max(0, Math.round(score * 1.2 - 200))}L` }),
      };
    }),
  );
}

const GRADE_NAMES = [
  '',
  'First',
  'Second',
  'Third',
  'Fourth',
  'Fifth',
  'Sixth',
  'Seventh',
  'Eighth',
  'Ninth',
  'Tenth',
  'Eleventh',
  'Twelfth',
];

/** '05' → 'Fifth grade', as Ed-Fi's GradeLevelDescriptor names it. */
const gradeName = (grade: string) => {
  const name = GRADE_NAMES[Number(grade)];
  return name ? `${name} grade` : 'Ungraded';
};

/**
 * Ed-Fi StudentAssessment resources as the Ed-Fi API returns them (v5+ field names): the student by
 * studentUniqueId (the roster identifier), the assessment by its identifier (which names the subject),
 * the result a string under the `Scale score` reporting method.
 */
function edFiResources(truths: AssessmentTruth[]): object[] {
  const descriptor = (type: string, value: string) => `uri://ed-fi.org/${type}#${value}`;
  return ofLayout(truths, 'edfi').flatMap((t) =>
    (['pre', 'post'] as const).map((which) => {
      const day = testDay(t, which);
      return {
        studentAssessmentIdentifier: `${t.assessment}-${t.localId}-${which}`,
        assessmentReference: { assessmentIdentifier: t.assessment, namespace: 'uri://edusage.example/Assessment' },
        schoolYearTypeReference: { schoolYear: schoolYear(day) },
        studentReference: { studentUniqueId: t.localId },
        administrationDate: `${day}T09:00:00`,
        whenAssessedGradeLevelDescriptor: descriptor('GradeLevelDescriptor', gradeName(t.grade)),
        scoreResults: [
          {
            assessmentReportingMethodDescriptor: descriptor('AssessmentReportingMethodDescriptor', 'Scale score'),
            result: String(t[which]),
            resultDatatypeTypeDescriptor: descriptor('ResultDatatypeTypeDescriptor', 'Integer'),
          },
        ],
      };
    }),
  );
}

/** A JSON array with one resource per line (the API's page format, and readable line by line). */
const jsonArray = (items: object[]) =>
  items.length === 0 ? '[]\n' : `[\n${items.map((o) => JSON.stringify(o)).join(',\n')}\n]\n`;

/**
 * Writes the assessments in vendor layouts (each read by the `outcomes import` preset of the spec's
 * `layout`): `assessments/map_growth.csv` (NWEA MAP Growth CDF AssessmentResults),
 * `assessments/iready_math.csv` / `iready_ela.csv` (i-Ready Diagnostic with a Quantile resp. Lexile
 * column), `assessments/star_math.csv` / `star_reading.csv` (Renaissance Star) and
 * `assessments/edfi_student_assessments.json` (Ed-Fi StudentAssessment resources, both subjects).
 * Students appear by their local id (roster `identifier`), as vendor exports carry them; Star files
 * also carry the roster sourcedId. Returns file → data rows (resources for the JSON).
 */
export async function writeAssessmentFiles(truths: AssessmentTruth[], outDir: string): Promise<Record<string, number>> {
  const dir = join(outDir, 'assessments');
  await mkdir(dir, { recursive: true });
  const csv = (header: readonly string[], rows: object[]) => ({ text: toCsv(header, rows), rows: rows.length });
  const edfi = edFiResources(truths);
  const files: Record<string, { text: string; rows: number }> = {
    'map_growth.csv': csv(MAP_HEADER, mapRows(truths)),
    'iready_math.csv': csv([...IREADY_HEADER, 'Quantile Measure'], iReadyRows(truths, 'math')),
    'iready_ela.csv': csv([...IREADY_HEADER, 'Lexile Measure'], iReadyRows(truths, 'reading')),
    'star_math.csv': csv([...STAR_HEADER, 'Quantile'], starRows(truths, 'math')),
    'star_reading.csv': csv([...STAR_HEADER, 'Lexile'], starRows(truths, 'reading')),
    'edfi_student_assessments.json': { text: jsonArray(edfi), rows: edfi.length },
  };
  const counts: Record<string, number> = {};
  for (const [name, f] of Object.entries(files)) {
    await writeFile(join(dir, name), f.text);
    counts[`assessments/${name}`] = f.rows;
  }
  return counts;
}
