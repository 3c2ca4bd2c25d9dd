import { generateDistrict, type SampleDistrict } from '@edusage/generator';

/** Native events per calendar day of the benchmark's district (measured: ~16.5k). */
const NATIVE_PER_DAY = 16_000;

/**
 * The benchmarks' generated district: 10 schools × 40 classes × 30 students, enough days for
 * `events` native events (at most 120), no malformed records and no duplicates, so every accepted
 * event must end up stored.
 */
export function benchDistrict(
  seed: number,
  districtId: string,
  events: number,
): { district: SampleDistrict; days: number } {
  const days = Math.min(120, Math.ceil(events / NATIVE_PER_DAY) + 2);
  const district = generateDistrict({
    seed,
    districtId,
    days,
    schools: 10,
    classesPerSchool: 40,
    studentsPerClass: 30,
    malformedRate: 0,
    duplicateRate: 0,
  });
  return { district, days };
}
