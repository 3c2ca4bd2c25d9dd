import {
  APP_PROFILES,
  BAND_GRADES,
  BAND_NAMES,
  FAMILY_NAMES,
  GIVEN_NAMES,
  SCHOOL_NAMES,
  SUBJECTS,
  bandOf,
  registeredDomain,
  type AppProfile,
  type SchoolBand,
  type SubjectKey,
} from './catalog';
import { rngFor, type Rng } from './rng';
import { addDays, parseDate } from './time';
import { buildLicenses } from './licenses';
import type {
  AcademicSessionRow,
  AppDef,
  ClassRow,
  CourseAppRow,
  CourseRow,
  DemographicsRow,
  EnrollmentRow,
  LicenseRow,
  ApprovalRow,
  ManifestRow,
  OrgRow,
  ResolvedOptions,
  Roster,
  UnknownPerson,
  UserRow,
} from './types';

export interface SchoolInfo {
  index: number;
  sourcedId: string;
  band: SchoolBand;
  name: string;
  /** Catalog apps (profiles) used at this school. */
  apps: AppProfile[];
}

export interface ClassInfo {
  idx: number;
  sourcedId: string;
  school: number;
  subject: SubjectKey;
  courseSourcedId: string;
  grade: string;
  /** app_ids the course uses (course_apps.csv). */
  apps: string[];
}

export interface Enrollment {
  classIdx: number;
  begin: string;
  end: string;
}

export interface Person {
  idx: number;
  sourcedId: string;
  role: 'student' | 'teacher';
  username: string;
  email: string;
  /** 1-based school index of the home school. */
  home: number;
  /** All school indexes, home first. */
  schools: number[];
  enrollments: Enrollment[];
  /** Relative activity (0 = never active). */
  engagement: number;
  homeIp: string;
}

export interface UnknownActor extends UnknownPerson {
  idx: number;
  channel: 'agent' | 'extension' | 'squid' | 'caliper';
  school: number;
  homeIp: string;
}

export interface Model {
  opts: ResolvedOptions;
  schools: SchoolInfo[];
  classes: ClassInfo[];
  people: Person[];
  unknown: UnknownActor[];
  term: { sourcedId: string; startDate: string; endDate: string };
  roster: Roster;
  courseApps: CourseAppRow[];
  networks: Record<string, string[]>;
  apps: AppDef[];
  licenses: LicenseRow[];
  approvals: ApprovalRow[];
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export const OFF_CAMPUS_OCTETS = [24, 47, 50, 67, 68, 71, 73, 75, 76, 96, 98, 99, 107, 108, 174];

export function homeIp(rng: Rng): string {
  return `${rng.pick(OFF_CAMPUS_OCTETS)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

export function appDefOf(p: AppProfile): AppDef {
  const domains = [...new Set([...p.domains, registeredDomain(p.host), p.host])];
  return { app_id: p.app_id, name: p.name, vendor: p.vendor, domains, host: p.host, caliper: p.caliper };
}

export function buildModel(opts: ResolvedOptions): Model {
  const rng = rngFor(opts.seed, 'roster');
  const [startYear, startMonth] = parseDate(opts.startDate);
  const syStart = startMonth >= 7 ? startYear : startYear - 1;
  const lastDay = addDays(opts.startDate, opts.days - 1);
  const termEndDefault = `${syStart + 1}-06-30`;
  const term = {
    sourcedId: `sy-${syStart}-${syStart + 1}`,
    startDate: `${syStart}-07-01`,
    endDate: lastDay > termEndDefault ? lastDay : termEndDefault,
  };
  const modified = `${term.startDate}T00:00:00.000Z`;
  const did = opts.districtId;

  // --- orgs
  const schools: SchoolInfo[] = [];
  const orgs: OrgRow[] = [
    {
      sourcedId: did,
      status: 'active',
      dateLastModified: modified,
      name: opts.districtName,
      type: 'district',
      identifier: `LEA-${pad(rng.int(1000, 9999), 4)}`,
      parentSourcedId: '',
    },
  ];
  for (let i = 1; i <= opts.schools; i++) {
    const band = bandOf(i);
    const base = SCHOOL_NAMES[(i - 1) % SCHOOL_NAMES.length] as string;
    const round = Math.floor((i - 1) / SCHOOL_NAMES.length);
    const name = `${base}${round > 0 ? ` ${round + 1}` : ''} ${BAND_NAMES[band]}`;
    const school: SchoolInfo = {
      index: i,
      sourcedId: `sch-${i}`,
      band,
      name,
      apps: APP_PROFILES.filter((p) => p.weight > 0 && p.schools(i, band)),
    };
    schools.push(school);
    orgs.push({
      sourcedId: school.sourcedId,
      status: 'active',
      dateLastModified: modified,
      name,
      type: 'school',
      identifier: `SCH-${pad(i, 3)}`,
      parentSourcedId: did,
    });
  }

  const academicSessions: AcademicSessionRow[] = [
    {
      sourcedId: term.sourcedId,
      status: 'active',
      dateLastModified: modified,
      title: `${syStart}-${syStart + 1} School Year`,
      type: 'schoolYear',
      startDate: term.startDate,
      endDate: term.endDate,
      parentSourcedId: '',
      schoolYear: String(syStart + 1),
    },
  ];

  // --- courses and classes
  const k = opts.classesPerStudent;
  const courses: CourseRow[] = [];
  const courseApps: CourseAppRow[] = [];
  const courseIds = new Map<string, string>();
  const classes: ClassInfo[] = [];
  const classRows: ClassRow[] = [];
  const cohortsPerSchool = Math.ceil(opts.classesPerSchool / k);
  for (const school of schools) {
    const grades = BAND_GRADES[school.band];
    for (let c = 0; c < opts.classesPerSchool; c++) {
      const subject = SUBJECTS[c % SUBJECTS.length]!;
      const cohort = Math.floor(c / k);
      const grade = grades[cohort % grades.length]!;
      const courseKey = `${school.index}|${subject.key}`;
      let courseId = courseIds.get(courseKey);
      const apps = school.apps.filter((p) => p.subjects.includes(subject.key)).map((p) => p.app_id);
      if (!courseId) {
        courseId = `crs-${school.index}-${subject.key}`;
        courseIds.set(courseKey, courseId);
        courses.push({
          sourcedId: courseId,
          status: 'active',
          dateLastModified: modified,
          schoolYearSourcedId: term.sourcedId,
          title: `${subject.title} (${BAND_NAMES[school.band]})`,
          courseCode: `${subject.code}-${school.index}`,
          grades: grades.join(','),
          orgSourcedId: school.sourcedId,
          subjects: subject.title,
          subjectCodes: subject.subjectCode,
        });
        for (const appId of apps) courseApps.push({ courseSourcedId: courseId, appId });
      }
      const section = Math.floor(cohort / grades.length) + 1;
      const info: ClassInfo = {
        idx: classes.length,
        sourcedId: `cls-${school.index}-${pad(c + 1, 3)}`,
        school: school.index,
        subject: subject.key,
        courseSourcedId: courseId,
        grade,
        apps,
      };
      classes.push(info);
      classRows.push({
        sourcedId: info.sourcedId,
        status: 'active',
        dateLastModified: modified,
        title: `${subject.title} ${grade === '00' ? 'K' : `Grade ${Number(grade)}`} - Section ${section}`,
        grades: grade,
        courseSourcedId: courseId,
        classCode: `${subject.code}-${grade}-${section}`,
        classType: 'scheduled',
        location: `Room ${100 + (c % 40)}`,
        schoolSourcedId: school.sourcedId,
        termSourcedIds: term.sourcedId,
        subjects: subject.title,
        subjectCodes: subject.subjectCode,
        periods: String((c % k) + 1),
      });
    }
  }

  // --- people
  const usernames = new Map<string, number>();
  const uniqueName = (base: string): string => {
    const n = (usernames.get(base) ?? 0) + 1;
    usernames.set(base, n);
    return n === 1 ? base : `${base}${n}`;
  };
  const people: Person[] = [];
  const roleCounts = { student: 0, teacher: 0 };
  const users: UserRow[] = [];
  const demographics: DemographicsRow[] = [];
  const enrollments: EnrollmentRow[] = [];
  const studentsBySchool: Person[][] = schools.map(() => []);
  const classBase = (school: number): number => (school - 1) * opts.classesPerSchool;

  const addPerson = (role: 'student' | 'teacher', home: number, grade: string): { p: Person; row: UserRow } => {
    const given = rng.pick(GIVEN_NAMES);
    const family = rng.pick(FAMILY_NAMES);
    const n = ++roleCounts[role];
    const sourcedId = role === 'student' ? `stu-${pad(n, 6)}` : `tch-${pad(n, 5)}`;
    const username = uniqueName(
      role === 'student' ? `${given}.${family}`.toLowerCase() : `${given[0]}${family}`.toLowerCase(),
    );
    const email = `${username}@${opts.domain}`;
    const engagement =
      role === 'teacher'
        ? 0.6 + rng.next()
        : rng.chance(0.04)
          ? 0
          : Math.exp((rng.next() + rng.next() + rng.next() - 1.5) * 0.9);
    const p: Person = {
      idx: people.length,
      sourcedId,
      role,
      username,
      email,
      home,
      schools: [home],
      enrollments: [],
      engagement,
      homeIp: homeIp(rng),
    };
    people.push(p);
    const localId = role === 'student' ? `S${pad(100000 + n, 6)}` : `T${pad(5000 + n, 5)}`;
    const row: UserRow = {
      sourcedId,
      status: 'active',
      dateLastModified: modified,
      enabledUser: 'true',
      orgSourcedIds: schools[home - 1]!.sourcedId,
      role,
      username,
      userIds: `{SIS:${localId}}`,
      givenName: given,
      familyName: family,
      middleName: '',
      identifier: localId,
      email,
      sms: '',
      phone: '',
      agentSourcedIds: '',
      grades: grade,
      password: '',
    };
    users.push(row);
    return { p, row };
  };
  let enrCounter = 0;
  const enroll = (p: Person, cls: ClassInfo, begin: string, end: string): void => {
    p.enrollments.push({ classIdx: cls.idx, begin, end });
    enrollments.push({
      sourcedId: `enr-${pad(++enrCounter, 7)}`,
      status: 'active',
      dateLastModified: modified,
      classSourcedId: cls.sourcedId,
      schoolSourcedId: `sch-${cls.school}`,
      userSourcedId: p.sourcedId,
      role: p.role,
      primary: p.role === 'teacher' ? 'true' : 'false',
      beginDate: begin,
      endDate: end,
    });
  };

  const midWindow = addDays(opts.startDate, Math.floor(opts.days / 2) - 1);
  for (const school of schools) {
    for (let cohort = 0; cohort < cohortsPerSchool; cohort++) {
      const first = cohort * k;
      const last = Math.min(first + k, opts.classesPerSchool);
      const cohortClasses = classes.slice(classBase(school.index) + first, classBase(school.index) + last);
      const grade = cohortClasses[0]!.grade;
      for (let s = 0; s < opts.studentsPerClass; s++) {
        const { p } = addPerson('student', school.index, grade);
        studentsBySchool[school.index - 1]!.push(p);
        const [y] = parseDate(term.startDate);
        const birthYear = y - (Number(grade) + 6) + (rng.chance(0.7) ? 1 : 0);
        const race = rng.weightedIndex([1, 5, 14, 1, 52, 4]);
        const flag = (i: number): string => String(race === i);
        demographics.push({
          sourcedId: p.sourcedId,
          status: 'active',
          dateLastModified: modified,
          birthDate: `${birthYear}-${pad(rng.int(1, 12), 2)}-${pad(rng.int(1, 28), 2)}`,
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
        });
        for (const cls of cohortClasses) {
          // About 1% of enrollments end in the middle of the window (a dropped class).
          const dropped = opts.days >= 2 && rng.chance(0.01);
          enroll(p, cls, term.startDate, dropped ? midWindow : term.endDate);
        }
      }
    }
    // Teachers: one per two classes.
    const schoolClasses = classes.slice(classBase(school.index), classBase(school.index) + opts.classesPerSchool);
    for (let t = 0; t < schoolClasses.length; t += 2) {
      const { p } = addPerson('teacher', school.index, '');
      for (const cls of schoolClasses.slice(t, t + 2)) enroll(p, cls, term.startDate, term.endDate);
    }
  }

  // A few students also take a class at another school (≈2%, at least one when there are 2+ schools).
  if (opts.schools >= 2) {
    const students = people.filter((p) => p.role === 'student');
    const count = Math.max(1, Math.round(students.length * 0.02));
    for (const p of rng
      .shuffle(students)
      .slice(0, count)
      .sort((a, b) => a.idx - b.idx)) {
      const other = (p.home % opts.schools) + 1;
      const cls = classes[classBase(other) + rng.int(0, opts.classesPerSchool - 1)]!;
      p.schools.push(other);
      users[p.idx]!.orgSourcedIds = `sch-${p.home},sch-${other}`;
      enroll(p, cls, term.startDate, term.endDate);
    }
  }

  // --- people not in the roster
  const unknown: UnknownActor[] = [];
  const studentCount = people.filter((p) => p.role === 'student').length;
  const unknownCount = Math.max(4, Math.round(studentCount * 0.015));
  const channels = ['squid', 'extension', 'agent', 'caliper'] as const;
  for (let i = 0; i < unknownCount; i++) {
    const channel = channels[i % channels.length]!;
    const n = i + 1;
    const user: UnknownPerson['user'] =
      channel === 'squid'
        ? { username: `guest${pad(n, 3)}` }
        : channel === 'extension'
          ? { email: `${rng.pick(GIVEN_NAMES)}.${rng.pick(FAMILY_NAMES)}${n}@gmail.com`.toLowerCase() }
          : channel === 'agent'
            ? { sourced_id: `stu-x${pad(n, 5)}` }
            : { sourced_id: `ext-${pad(n, 5)}` };
    unknown.push({ idx: i, key: `unknown-${n}`, user, channel, school: rng.int(1, opts.schools), homeIp: homeIp(rng) });
  }

  // --- networks: the school LAN and its guest Wi-Fi
  const networks: Record<string, string[]> = {};
  for (const s of schools) networks[s.sourcedId] = [`10.${s.index}.0.0/16`, `192.168.${s.index}.0/24`];

  // --- licences and app approvals (licenses.ts)
  const { licenses, approvals } = buildLicenses({
    opts,
    districtOrg: did,
    schools,
    studentsPerSchool: studentsBySchool.map((list) => list.length),
    term,
  });

  const manifest: ManifestRow[] = [
    ['manifest.version', '1.0'],
    ['oneroster.version', '1.1'],
    ['file.academicSessions', 'bulk'],
    ['file.categories', 'absent'],
    ['file.classes', 'bulk'],
    ['file.classResources', 'absent'],
    ['file.courses', 'bulk'],
    ['file.courseResources', 'absent'],
    ['file.demographics', 'bulk'],
    ['file.enrollments', 'bulk'],
    ['file.lineItems', 'absent'],
    ['file.orgs', 'bulk'],
    ['file.resources', 'absent'],
    ['file.results', 'absent'],
    ['file.users', 'bulk'],
    ['source.systemName', 'edusage sample generator'],
    ['source.systemCode', 'edusage-generator'],
  ].map(([propertyName, value]) => ({ propertyName: propertyName!, value: value! }));

  return {
    opts,
    schools,
    classes,
    people,
    unknown,
    term,
    roster: { manifest, orgs, academicSessions, courses, classes: classRows, users, enrollments, demographics },
    courseApps,
    networks,
    apps: APP_PROFILES.map(appDefOf),
    licenses,
    approvals,
  };
}
