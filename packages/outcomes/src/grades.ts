import { gradeCode } from '@edusage/enrich';

/**
 * A grade as the roster stores it (enrich's `rosterGrades`): its code (`5` → 05, `K` → KG, Ed-Fi's
 * "Fifth grade" → 05), or as written when it is no grade code ('' stays '').
 */
export function normalizeGrade(g: string): string {
  const t = g.trim();
  return gradeCode(t) ?? t;
}

/**
 * The grade a student was in when tested, for the grade groups and the grade fixed effects: the one
 * stored with the post test's result, else the pre test's, else (neither has one) the roster's current
 * grade, which may already be the next year's. Normalized as the roster's grades, so the groups meet.
 */
export function gradeAtTesting(postGrade: string, preGrade: string, rosterGrade: string): string {
  return [postGrade, preGrade, rosterGrade].map(normalizeGrade).find((g) => g !== '') ?? '';
}
