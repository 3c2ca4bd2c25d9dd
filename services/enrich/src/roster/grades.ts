import { list } from './fields';

/** Grade codes in order (CEDS, as OneRoster 1.1 asks): pre-K, transitional K, K, 01–13. */
export const GRADE_ORDER: readonly string[] = [
  'PK',
  'TK',
  'KG',
  ...Array.from({ length: 13 }, (_, i) => String(i + 1).padStart(2, '0')),
];

/** Ed-Fi's GradeLevelDescriptor names (assessment results and Ed-Fi rosters write them) → codes. */
const EDFI_GRADE_LEVELS = new Map<string, string>([
  ['PRESCHOOL/PREKINDERGARTEN', 'PK'],
  ['TRANSITIONAL KINDERGARTEN', 'TK'],
  ['KINDERGARTEN', 'KG'],
  ...[
    'FIRST',
    'SECOND',
    'THIRD',
    'FOURTH',
    'FIFTH',
    'SIXTH',
    'SEVENTH',
    'EIGHTH',
    'NINTH',
    'TENTH',
    'ELEVENTH',
    'TWELFTH',
  ].map((word, i): [string, string] => [`${word} GRADE`, String(i + 1).padStart(2, '0')]),
  ['GRADE 13', '13'],
]);

/**
 * A grade as its code: `K` → KG, `9` → 09, `kg` → KG, Ed-Fi's `Fifth grade` → 05; null when it is none
 * of GRADE_ORDER. Rosters write grades both ways (OneRoster asks for the codes, SIS exports and SDS
 * often give `9` or `K`), license grade bands are codes and assessment results carry Ed-Fi's names, so
 * every side goes through this one function.
 */
export function gradeCode(g: string): string | null {
  const t = g.trim().toUpperCase();
  if (t === 'K') return 'KG';
  const edfi = EDFI_GRADE_LEVELS.get(t);
  if (edfi !== undefined) return edfi;
  if (/^\d{1,2}$/.test(t)) {
    const code = t.padStart(2, '0');
    return GRADE_ORDER.includes(code) ? code : null;
  }
  return GRADE_ORDER.includes(t) ? t : null;
}

/** A grade as its code, else (no code: `Other`, `Ungraded`) as written, trimmed; '' stays ''. */
export function gradeAsWritten(g: string): string {
  const t = g.trim();
  return gradeCode(t) ?? t;
}

/** A roster's grades cell (a comma-separated list): each as its code, one that is no code kept as written. */
export function rosterGrades(cell: string): string[] {
  return list(cell).map(gradeAsWritten);
}
