import type { AppProfile, SchoolBand, SubjectKey } from './catalog';
import type { AppDef, ApprovalRow, CourseAppRow, LicenseRow, ResolvedOptions, Roster, UnknownPerson } from './types';

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

/** The one school year the roster covers (academicSessions.csv). */
export interface SchoolTerm {
  sourcedId: string;
  startDate: string;
  endDate: string;
}

export interface Model {
  opts: ResolvedOptions;
  schools: SchoolInfo[];
  classes: ClassInfo[];
  people: Person[];
  unknown: UnknownActor[];
  term: SchoolTerm;
  roster: Roster;
  courseApps: CourseAppRow[];
  networks: Record<string, string[]>;
  apps: AppDef[];
  licenses: LicenseRow[];
  approvals: ApprovalRow[];
}

/** What every roster row builder shares. */
export interface RosterContext {
  opts: ResolvedOptions;
  term: SchoolTerm;
  /** The dateLastModified of every row. */
  modified: string;
}

/** Fixed-width numbers in ids and codes (`stu-000042`, `SCH-007`). */
export const zeroPad = (n: number, width: number): string => String(n).padStart(width, '0');
