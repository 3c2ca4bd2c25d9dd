/**
 * The benchmark district: sizes and the activity model, in one place. A district of 50,000 students
 * in 50 schools with 2,000 classes, 40 licensed apps and 180 school days of use. Both benchmarks
 * generate it: `pnpm bench:licenses` (school rollup) and `pnpm bench:year` (all three rollup levels).
 */
export const SHAPE = {
  districtId: 'bench',
  schools: 50,
  students: 50_000,
  teachers: 2_500,
  classes: 2_000,
  apps: 40,
  schoolDays: 180,
  /** First school day (a Monday); school days are the weekdays from here. */
  firstDay: '2025-08-18',
  /** Kafka partitions of usage.enriched: a person's events all go to one (the sink folds each on its own). */
  partitions: 3,
  /**
   * Each student is in one class of their school (students / classes per class); a class uses an app
   * together when hash(class, app) % 100 < classAppPercent, and its students' use of such an app is
   * attributed to the class (the rest counts for the school and district only).
   */
  classAppPercent: 60,
  /** Apps a student (slots a teacher) uses at all; which app a slot holds is skewed to popular apps. */
  studentSlots: 6,
  teacherSlots: 3,
  /** Percent of school days a person uses each of their apps. */
  dailyUsePercent: 30,
  /** Apps with app % 4 = 3 are hit-style (proxy, page views): engaged time from distinct minutes. */
  minutesPerHitDay: 10,
  /** School days generated per INSERT (bounded memory on the server). */
  daysPerInsert: 10,
} as const;

/** The district's sizes as numbers (so a run can shorten the year, e.g. `bench:year --days`). */
export type DistrictShape = { [K in keyof typeof SHAPE]: (typeof SHAPE)[K] extends number ? number : string };

const GRADES = ['KG', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'];

/** SQL array literal of the grades, indexed 1..13 in ClickHouse. */
export const gradesArray = `[${GRADES.map((g) => `'${g}'`).join(',')}]`;

/** The school days: the first `schoolDays` weekdays from `firstDay`. */
export function schoolDays(shape: DistrictShape = SHAPE): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${shape.firstDay}T00:00:00Z`); days.length < shape.schoolDays; t += 86_400_000) {
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** Classes per school: class n is at school n % schools, so school k has classes k, k + schools, … */
export const classesPerSchool = (shape: DistrictShape = SHAPE) => shape.classes / shape.schools;

/** SQL: the class number of a person's class (student or teacher number `n`, both spread over schools the same way). */
export const classNoSql = (n: string, shape: DistrictShape = SHAPE) =>
  `(${n} % ${shape.schools} + ${shape.schools} * (intDiv(${n}, ${shape.schools}) % ${classesPerSchool(shape)}))`;

/** SQL: 1 when class `classNo` uses app `appNo` together (the attribution rule of `classAppPercent`). */
export const classUsesAppSql = (classNo: string, appNo: string, shape: DistrictShape = SHAPE) =>
  `(cityHash64('class-app', ${classNo}, ${appNo}) % 100 < ${shape.classAppPercent})`;

/** SQL: a person's pseudonym like enrich's (32 hex characters), from a role letter and a number. */
export const personIdSql = (role: 's' | 't', n: string) => `lower(hex(MD5(concat('${role}', toString(${n})))))`;
export const schoolIdSql = (n: string) => `concat('sch-', toString(${n}))`;
export const appIdSql = (n: string) => `concat('app-', toString(${n}))`;
