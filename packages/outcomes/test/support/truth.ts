import type { AssessmentTruth, SampleDistrict } from '@edusage/generator';
import type { StudentWindow } from '../../src';

/** The generator's truth as the analysis sees students (what the pipeline would load), without the pipeline. */
export function windowsFromTruth(
  sample: SampleDistrict,
  truths: AssessmentTruth[],
  assessment: string,
  subject: string,
): StudentWindow[] {
  const schoolOf = new Map(sample.roster.users.map((u) => [u.sourcedId, u.orgSourcedIds.split(',')[0] ?? '']));
  return truths
    .filter((t) => t.assessment === assessment && t.subject === subject)
    .map((t) => ({
      personId: t.sourcedId,
      grade: t.grade,
      schoolId: schoolOf.get(t.sourcedId) ?? '',
      classId: '',
      preDate: t.preDate,
      postDate: t.postDate,
      pre: t.pre,
      post: t.post,
      projectedGrowth: null,
      engagedSeconds: t.minutesPerWeek * 60,
      knownCampusSeconds: 0,
      onCampusSeconds: 0,
      daysUsed: t.minutesPerWeek > 0 ? 1 : 0,
      minutesPerWeek: t.minutesPerWeek,
    }));
}
