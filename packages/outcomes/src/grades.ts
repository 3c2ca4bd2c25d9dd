import { gradeAsWritten } from '@edusage/enrich';

/**
 * The grade a student was in when tested, for the grade groups and the grade fixed effects: the one
 * stored with the post test's result, else the pre test's, else (neither has one) the roster's current
 * grade, which may already be the next year's. Normalized as the roster's grades, so the groups meet.
 */
export function gradeAtTesting(postGrade: string, preGrade: string, rosterGrade: string): string {
  return [postGrade, preGrade, rosterGrade].map(gradeAsWritten).find((g) => g !== '') ?? '';
}
