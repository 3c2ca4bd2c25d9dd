/**
 * The roster as enrich keeps it: only what lookups, attribution and the dimension tables need.
 * Person names are never kept; emails and usernames are kept (in Redis only) because events carry
 * them as identifiers, and they never leave enrich.
 */

/** OneRoster status: '' when the file leaves it empty (1.0 and bulk files), `tobedeleted` rows are dropped. */
export type RosterStatus = 'active' | 'inactive' | '';

export interface OrgRecord {
  sourcedId: string;
  status: RosterStatus;
  name: string;
  /** OneRoster org type (school, district, department, ...), lower-cased. */
  type: string;
  parentSourcedId: string | null;
}

export interface UserRecord {
  sourcedId: string;
  status: RosterStatus;
  enabled: boolean;
  /** OneRoster role as written (student, teacher, parent, siteAdministrator, ...). '' if none. */
  role: string;
  username: string | null;
  email: string | null;
  /**
   * State or local student ids (OneRoster `identifier`, SDS `State ID` / `Student Number`): kept in
   * Redis only, so assessment imports that name students by these ids can find them. Absent in
   * rosters stored before this field existed.
   */
  identifiers?: string[];
  orgSourcedIds: string[];
  grades: string[];
}

export interface ClassRecord {
  sourcedId: string;
  status: RosterStatus;
  title: string;
  courseSourcedId: string | null;
  schoolSourcedId: string | null;
  classType: string;
  grades: string[];
  termSourcedIds: string[];
}

export interface CourseRecord {
  sourcedId: string;
  status: RosterStatus;
  title: string;
  courseCode: string;
  orgSourcedId: string | null;
  grades: string[];
}

export interface EnrollmentRecord {
  sourcedId: string;
  status: RosterStatus;
  classSourcedId: string;
  schoolSourcedId: string | null;
  userSourcedId: string;
  role: string;
  primary: boolean;
  /**
   * YYYY-MM-DD as written; OneRoster 1.1: beginDate inclusive, endDate exclusive (the first day out).
   * Empty in most exports: the class's term dates apply then (`enrollmentSpan`).
   */
  beginDate: string | null;
  endDate: string | null;
}

export interface SessionRecord {
  sourcedId: string;
  status: RosterStatus;
  title: string;
  type: string;
  /** YYYY-MM-DD; endDate exclusive, as an enrollment's (a term ending 2021-02-01 hands over that day). */
  startDate: string | null;
  endDate: string | null;
  parentSourcedId: string | null;
  schoolYear: string | null;
}

/** A district roster: OneRoster entities plus the district extensions (course → apps, school → networks). */
export interface RosterData {
  orgs: Map<string, OrgRecord>;
  users: Map<string, UserRecord>;
  classes: Map<string, ClassRecord>;
  courses: Map<string, CourseRecord>;
  enrollments: Map<string, EnrollmentRecord>;
  sessions: Map<string, SessionRecord>;
  /** courseSourcedId → app ids (district extension `course_apps.csv`). */
  courseApps: Map<string, string[]>;
  /** school sourcedId → CIDR list (district extension `networks.json`). */
  networks: Map<string, string[]>;
}

/** Entity names, as used in Redis keys `roster:<district>:<version>:<entity>`. */
export const ROSTER_ENTITIES = [
  'orgs',
  'users',
  'classes',
  'courses',
  'enrollments',
  'sessions',
  'course_apps',
  'networks',
] as const;
export type RosterEntity = (typeof ROSTER_ENTITIES)[number];

export function emptyRoster(): RosterData {
  return {
    orgs: new Map(),
    users: new Map(),
    classes: new Map(),
    courses: new Map(),
    enrollments: new Map(),
    sessions: new Map(),
    courseApps: new Map(),
    networks: new Map(),
  };
}

/** The roster maps by entity name (for storage). */
export function rosterEntityMap(data: RosterData, entity: RosterEntity): Map<string, unknown> {
  switch (entity) {
    case 'orgs':
      return data.orgs;
    case 'users':
      return data.users;
    case 'classes':
      return data.classes;
    case 'courses':
      return data.courses;
    case 'enrollments':
      return data.enrollments;
    case 'sessions':
      return data.sessions;
    case 'course_apps':
      return data.courseApps;
    case 'networks':
      return data.networks;
  }
}
