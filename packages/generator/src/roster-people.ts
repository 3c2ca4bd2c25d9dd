import { FAMILY_NAMES, GIVEN_NAMES } from './catalog';
import { homeIp } from './net';
import type { Rng } from './rng';
import { classesOfSchool } from './roster-classes';
import { zeroPad, type ClassInfo, type Person, type RosterContext, type SchoolInfo } from './roster-model';
import { addDays, parseDate } from './time';
import type { DemographicsRow, EnrollmentRow, UserRow } from './types';

type Role = Person['role'];

export interface RosterPeople {
  people: Person[];
  /** users[i] is the users.csv row of people[i]. */
  users: UserRow[];
  demographics: DemographicsRow[];
  enrollments: EnrollmentRow[];
  /** Students whose home school it is, by school index − 1. */
  studentsPerSchool: number[];
}

/**
 * Students and teachers with their users.csv, demographics.csv and enrollments.csv rows. They take
 * their draws from the shared roster stream, so the order here (each school's students by cohort,
 * then its teachers, then the cross-school students) is part of the output.
 */
export function buildPeople(ctx: RosterContext, rng: Rng, schools: SchoolInfo[], classes: ClassInfo[]): RosterPeople {
  const builder = new PeopleBuilder(ctx, rng, schools);
  for (const school of schools) {
    const schoolClasses = classesOfSchool(ctx, classes, school.index);
    builder.addStudents(school, schoolClasses);
    builder.addTeachers(school, schoolClasses);
  }
  if (ctx.opts.schools >= 2) builder.addCrossSchoolStudents(classes);
  return builder.result;
}

class PeopleBuilder {
  readonly result: RosterPeople;
  private readonly usernameCounts = new Map<string, number>();
  private readonly roleCounts: Record<Role, number> = { student: 0, teacher: 0 };
  private enrollmentCount = 0;
  private readonly termStartYear: number;
  /** End date of a class dropped in the middle of the window. */
  private readonly midWindow: string;

  constructor(
    private readonly ctx: RosterContext,
    private readonly rng: Rng,
    private readonly schools: SchoolInfo[],
  ) {
    this.result = { people: [], users: [], demographics: [], enrollments: [], studentsPerSchool: schools.map(() => 0) };
    this.termStartYear = parseDate(ctx.term.startDate)[0];
    this.midWindow = addDays(ctx.opts.startDate, Math.floor(ctx.opts.days / 2) - 1);
  }

  /** studentsPerClass students per cohort; a cohort takes classesPerStudent consecutive classes. */
  addStudents(school: SchoolInfo, schoolClasses: ClassInfo[]): void {
    const { classesPerStudent: k, classesPerSchool, studentsPerClass } = this.ctx.opts;
    const cohorts = Math.ceil(classesPerSchool / k);
    for (let cohort = 0; cohort < cohorts; cohort++) {
      const cohortClasses = schoolClasses.slice(cohort * k, Math.min(cohort * k + k, classesPerSchool));
      const grade = cohortClasses[0]!.grade;
      for (let s = 0; s < studentsPerClass; s++) this.addStudent(school.index, grade, cohortClasses);
    }
  }

  /** One teacher per two classes, so every class has exactly one. */
  addTeachers(school: SchoolInfo, schoolClasses: ClassInfo[]): void {
    const { term } = this.ctx;
    for (let t = 0; t < schoolClasses.length; t += 2) {
      const p = this.addPerson('teacher', school.index, '');
      for (const cls of schoolClasses.slice(t, t + 2)) this.enroll(p, cls, term.startDate, term.endDate);
    }
  }

  /** A few students also take a class at the next school (≈2%, at least one). */
  addCrossSchoolStudents(classes: ClassInfo[]): void {
    const { opts, term } = this.ctx;
    const students = this.result.people.filter((p) => p.role === 'student');
    const count = Math.max(1, Math.round(students.length * 0.02));
    const chosen = this.rng
      .shuffle(students)
      .slice(0, count)
      .sort((a, b) => a.idx - b.idx);
    for (const p of chosen) {
      const other = (p.home % opts.schools) + 1;
      const cls = classesOfSchool(this.ctx, classes, other)[this.rng.int(0, opts.classesPerSchool - 1)]!;
      p.schools.push(other);
      this.result.users[p.idx]!.orgSourcedIds = `sch-${p.home},sch-${other}`;
      this.enroll(p, cls, term.startDate, term.endDate);
    }
  }

  private addStudent(home: number, grade: string, cohortClasses: ClassInfo[]): void {
    const { opts, term } = this.ctx;
    const p = this.addPerson('student', home, grade);
    this.result.studentsPerSchool[home - 1]!++;
    this.result.demographics.push(demographicsRow(this.ctx, this.rng, p.sourcedId, grade, this.termStartYear));
    for (const cls of cohortClasses) {
      // About 1% of enrollments end in the middle of the window (a dropped class).
      const dropped = opts.days >= 2 && this.rng.chance(0.01);
      this.enroll(p, cls, term.startDate, dropped ? this.midWindow : term.endDate);
    }
  }

  private addPerson(role: Role, home: number, grade: string): Person {
    const given = this.rng.pick(GIVEN_NAMES);
    const family = this.rng.pick(FAMILY_NAMES);
    const n = ++this.roleCounts[role];
    const sourcedId = role === 'student' ? `stu-${zeroPad(n, 6)}` : `tch-${zeroPad(n, 5)}`;
    const username = this.uniqueUsername(
      role === 'student' ? `${given}.${family}`.toLowerCase() : `${given[0]}${family}`.toLowerCase(),
    );
    const email = `${username}@${this.ctx.opts.domain}`;
    const engagement = drawEngagement(this.rng, role);
    const p: Person = {
      idx: this.result.people.length,
      sourcedId,
      role,
      username,
      email,
      home,
      schools: [home],
      enrollments: [],
      engagement,
      homeIp: homeIp(this.rng),
    };
    this.result.people.push(p);
    const localId = role === 'student' ? `S${zeroPad(100000 + n, 6)}` : `T${zeroPad(5000 + n, 5)}`;
    const orgSourcedId = this.schools[home - 1]!.sourcedId;
    this.result.users.push(userRow(this.ctx, p, { given, family, localId, grade, orgSourcedId }));
    return p;
  }

  /** The base name, then base2, base3, … for later people with the same one. */
  private uniqueUsername(base: string): string {
    const n = (this.usernameCounts.get(base) ?? 0) + 1;
    this.usernameCounts.set(base, n);
    return n === 1 ? base : `${base}${n}`;
  }

  private enroll(p: Person, cls: ClassInfo, begin: string, end: string): void {
    p.enrollments.push({ classIdx: cls.idx, begin, end });
    this.result.enrollments.push({
      sourcedId: `enr-${zeroPad(++this.enrollmentCount, 7)}`,
      status: 'active',
      dateLastModified: this.ctx.modified,
      classSourcedId: cls.sourcedId,
      schoolSourcedId: `sch-${cls.school}`,
      userSourcedId: p.sourcedId,
      role: p.role,
      primary: p.role === 'teacher' ? 'true' : 'false',
      beginDate: begin,
      // OneRoster's endDate is exclusive: the day after the last day in class.
      endDate: addDays(end, 1),
    });
  }
}

/**
 * Teachers are all fairly active. About 4% of students never are; the rest spread log-normally
 * (a sum of three uniforms), so a few students do much more than most.
 */
function drawEngagement(rng: Rng, role: Role): number {
  if (role === 'teacher') return 0.6 + rng.next();
  return rng.chance(0.04) ? 0 : Math.exp((rng.next() + rng.next() + rng.next() - 1.5) * 0.9);
}

interface UserDetails {
  given: string;
  family: string;
  /** The SIS number (`S100042`, `T5007`). */
  localId: string;
  grade: string;
  orgSourcedId: string;
}

function userRow(ctx: RosterContext, p: Person, d: UserDetails): UserRow {
  return {
    sourcedId: p.sourcedId,
    status: 'active',
    dateLastModified: ctx.modified,
    enabledUser: 'true',
    orgSourcedIds: d.orgSourcedId,
    role: p.role,
    username: p.username,
    userIds: `{SIS:${d.localId}}`,
    givenName: d.given,
    familyName: d.family,
    middleName: '',
    identifier: d.localId,
    email: p.email,
    sms: '',
    phone: '',
    agentSourcedIds: '',
    grades: d.grade,
    password: '',
  };
}

/** Race weights: American Indian, Asian, Black, Pacific Islander, White, two or more (one flag is true). */
const RACE_WEIGHTS = [1, 5, 14, 1, 52, 4];

/**
 * Birth year from the grade: term start year − (grade + 6), one year later for 70%. The draws go in
 * field order, so the fields keep their order.
 */
function demographicsRow(
  ctx: RosterContext,
  rng: Rng,
  sourcedId: string,
  grade: string,
  termStartYear: number,
): DemographicsRow {
  const birthYear = termStartYear - (Number(grade) + 6) + (rng.chance(0.7) ? 1 : 0);
  const race = rng.weightedIndex(RACE_WEIGHTS);
  const flag = (i: number): string => String(race === i);
  return {
    sourcedId,
    status: 'active',
    dateLastModified: ctx.modified,
    birthDate: `${birthYear}-${zeroPad(rng.int(1, 12), 2)}-${zeroPad(rng.int(1, 28), 2)}`,
    sex: rng.chance(0.5) ? 'female' : 'male',
    americanIndianOrAlaskaNative: flag(0),
    asian: flag(1),
    blackOrAfricanAmerican: flag(2),
    nativeHawaiianOrOtherPacificIslander: flag(3),
    white: flag(4),
    demographicRaceTwoOrMoreRaces: flag(5),
    hispanicOrLatinoEthnicity: String(rng.chance(0.27)),
    countryOfBirthCode: '',
    stateOfBirthAbbreviation: '',
    cityOfBirth: '',
    publicSchoolResidenceStatus: '',
  };
}
