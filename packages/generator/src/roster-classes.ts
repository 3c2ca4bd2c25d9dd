import { BAND_GRADES, BAND_NAMES, SUBJECTS } from './catalog';
import { zeroPad, type ClassInfo, type RosterContext, type SchoolInfo } from './roster-model';
import type { ClassRow, CourseAppRow, CourseRow } from './types';

type Subject = (typeof SUBJECTS)[number];

export interface CourseCatalog {
  courses: CourseRow[];
  courseApps: CourseAppRow[];
  classes: ClassInfo[];
  classRows: ClassRow[];
}

/**
 * courses.csv, course_apps.csv and classes.csv. Class c of a school teaches subject c mod 6, and a
 * course is one subject at one school, so a school's first (up to) six classes open its courses.
 */
export function buildClasses(ctx: RosterContext, schools: SchoolInfo[]): CourseCatalog {
  const catalog: CourseCatalog = { courses: [], courseApps: [], classes: [], classRows: [] };
  for (const school of schools) {
    for (const subject of SUBJECTS.slice(0, ctx.opts.classesPerSchool)) addCourse(ctx, catalog, school, subject);
    for (let c = 0; c < ctx.opts.classesPerSchool; c++) addClass(ctx, catalog, school, c);
  }
  return catalog;
}

/** A school's classes, in the order buildClasses made them. */
export function classesOfSchool(ctx: RosterContext, classes: ClassInfo[], school: number): ClassInfo[] {
  const first = (school - 1) * ctx.opts.classesPerSchool;
  return classes.slice(first, first + ctx.opts.classesPerSchool);
}

const courseIdOf = (school: SchoolInfo, subject: Subject): string => `crs-${school.index}-${subject.key}`;

/** The school's apps for this subject (a fresh list on every call: each class owns its own). */
const subjectApps = (school: SchoolInfo, subject: Subject): string[] =>
  school.apps.filter((p) => p.subjects.includes(subject.key)).map((p) => p.app_id);

function addCourse(ctx: RosterContext, catalog: CourseCatalog, school: SchoolInfo, subject: Subject): void {
  const courseId = courseIdOf(school, subject);
  catalog.courses.push({
    sourcedId: courseId,
    status: 'active',
    dateLastModified: ctx.modified,
    schoolYearSourcedId: ctx.term.sourcedId,
    title: `${subject.title} (${BAND_NAMES[school.band]})`,
    courseCode: `${subject.code}-${school.index}`,
    grades: BAND_GRADES[school.band].join(','),
    orgSourcedId: school.sourcedId,
    subjects: subject.title,
    subjectCodes: subject.subjectCode,
  });
  for (const appId of subjectApps(school, subject)) catalog.courseApps.push({ courseSourcedId: courseId, appId });
}

/**
 * Class c belongs to cohort floor(c / classesPerStudent): the students who take those classes
 * together. Cohorts walk through the school's grades, and a grade's second pass is its next section.
 */
function addClass(ctx: RosterContext, catalog: CourseCatalog, school: SchoolInfo, c: number): void {
  const k = ctx.opts.classesPerStudent;
  const grades = BAND_GRADES[school.band];
  const subject = SUBJECTS[c % SUBJECTS.length]!;
  const cohort = Math.floor(c / k);
  const grade = grades[cohort % grades.length]!;
  const section = Math.floor(cohort / grades.length) + 1;
  const courseId = courseIdOf(school, subject);
  const info: ClassInfo = {
    idx: catalog.classes.length,
    sourcedId: `cls-${school.index}-${zeroPad(c + 1, 3)}`,
    school: school.index,
    subject: subject.key,
    courseSourcedId: courseId,
    grade,
    apps: subjectApps(school, subject),
  };
  catalog.classes.push(info);
  catalog.classRows.push({
    sourcedId: info.sourcedId,
    status: 'active',
    dateLastModified: ctx.modified,
    title: `${subject.title} ${grade === '00' ? 'K' : `Grade ${Number(grade)}`} - Section ${section}`,
    grades: grade,
    courseSourcedId: courseId,
    classCode: `${subject.code}-${grade}-${section}`,
    classType: 'scheduled',
    location: `Room ${100 + (c % 40)}`,
    schoolSourcedId: school.sourcedId,
    termSourcedIds: ctx.term.sourcedId,
    subjects: subject.title,
    subjectCodes: subject.subjectCode,
    periods: String((c % k) + 1),
  });
}
