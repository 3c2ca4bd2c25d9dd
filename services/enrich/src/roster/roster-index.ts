import type { Role } from '@edusage/contracts';
import { NetworkMatcher } from '../enrich/network';
import { pseudonymizeOnce } from '../enrich/pseudonym';
import type { RosterData } from './model';

/**
 * OneRoster role (or Microsoft SDS role: professor, lecturer, teacherAssistant, itAdmin, ...) → the
 * role set of the enriched event.
 */
export function mapRole(oneRosterRole: string): Role {
  switch (oneRosterRole.trim().toLowerCase()) {
    case 'student':
      return 'student';
    case 'teacher': // and the SDS staff roles who teach a class:
    case 'professor':
    case 'lecturer':
    case 'instructor':
    case 'faculty':
    case 'adjunct':
    case 'substitute':
      return 'teacher';
    case 'administrator':
    case 'districtadministrator':
    case 'siteadministrator':
    case 'systemadministrator':
    case 'principal':
    case 'itadmin':
      return 'administrator';
    case 'aide':
    case 'proctor':
    case 'teacherassistant':
    case 'assistant':
    case 'paraprofessional':
      return 'aide';
    case 'guardian':
    case 'parent':
    case 'relative':
      return 'guardian';
    case '':
      return 'unknown';
    default:
      return 'other';
  }
}

export interface IndexedEnrollment {
  classId: string;
  schoolId: string | null;
  /** Apps the class's course uses (district course → app map); empty if none. */
  apps: readonly string[];
  active: boolean;
  beginDate: string | null;
  endDate: string | null;
}

export interface IndexedPerson {
  sourcedId: string;
  /** Pseudonymous id, computed once at load. */
  personId: string;
  role: Role;
  grade: string | null;
  /** Known schools (orgs of type school) of the person: from the user's orgs and enrollments. */
  schools: string[];
  enrollments: IndexedEnrollment[];
}

export interface IndexedClass {
  schoolId: string | null;
  courseId: string | null;
}

/**
 * The in-memory, read-only lookup structure for one district roster version. Built once per load
 * (from the import, or from Redis in the worker); all per-event lookups are Map reads.
 */
export class RosterIndex {
  readonly people = new Map<string, IndexedPerson>();
  /** Lower-cased email/username → person; null when two roster users share it (never guessed). */
  private readonly byEmail = new Map<string, IndexedPerson | null>();
  private readonly byUsername = new Map<string, IndexedPerson | null>();
  readonly classes = new Map<string, IndexedClass>();
  readonly orgs = new Set<string>();
  readonly networks: NetworkMatcher;

  constructor(
    readonly districtId: string,
    readonly version: string,
    data: RosterData,
    pseudonymKey: string,
  ) {
    for (const o of data.orgs.values()) this.orgs.add(o.sourcedId);
    const isSchool = (id: string | null): id is string => {
      if (!id) return false;
      if (data.orgs.size === 0) return true;
      const org = data.orgs.get(id);
      return org !== undefined && (org.type === 'school' || org.type === '');
    };
    for (const c of data.classes.values()) {
      this.classes.set(c.sourcedId, {
        schoolId: c.schoolSourcedId,
        courseId: c.courseSourcedId,
      });
    }
    for (const u of data.users.values()) {
      const person: IndexedPerson = {
        sourcedId: u.sourcedId,
        personId: pseudonymizeOnce(pseudonymKey, districtId, u.sourcedId),
        role: mapRole(u.role),
        grade: u.grades[0] ?? null,
        schools: [...new Set(u.orgSourcedIds.filter(isSchool))],
        enrollments: [],
      };
      this.people.set(u.sourcedId, person);
      if (u.email) addUnique(this.byEmail, u.email.trim().toLowerCase(), person);
      if (u.username) addUnique(this.byUsername, u.username.trim().toLowerCase(), person);
    }
    for (const e of data.enrollments.values()) {
      const person = this.people.get(e.userSourcedId);
      if (!person) continue;
      const cls = data.classes.get(e.classSourcedId);
      const courseId = cls?.courseSourcedId ?? null;
      const active = e.status !== 'inactive' && cls !== undefined;
      person.enrollments.push({
        classId: e.classSourcedId,
        schoolId: e.schoolSourcedId ?? cls?.schoolSourcedId ?? null,
        apps: courseId ? (data.courseApps.get(courseId) ?? []) : [],
        active,
        beginDate: e.beginDate,
        endDate: e.endDate,
      });
      const school = e.schoolSourcedId ?? cls?.schoolSourcedId ?? null;
      if (active && isSchool(school) && !person.schools.includes(school)) person.schools.push(school);
    }
    this.networks = new NetworkMatcher(data.networks);
  }

  /** Finds a person by sourcedId, then email, then username (each exact after normalization). */
  findPerson(user: {
    sourced_id?: string | undefined;
    email?: string | undefined;
    username?: string | undefined;
  }): IndexedPerson | null {
    if (user.sourced_id) {
      const p = this.people.get(user.sourced_id.trim());
      if (p) return p;
    }
    if (user.email) {
      const p = this.byEmail.get(user.email.trim().toLowerCase());
      if (p) return p;
    }
    if (user.username) {
      const p = this.byUsername.get(user.username.trim().toLowerCase());
      if (p) return p;
    }
    return null;
  }

  hasClass(classId: string): boolean {
    return this.classes.has(classId);
  }

  hasOrg(orgId: string): boolean {
    return this.orgs.has(orgId);
  }
}

function addUnique(map: Map<string, IndexedPerson | null>, key: string, person: IndexedPerson): void {
  if (key === '') return;
  const prev = map.get(key);
  if (prev === undefined) map.set(key, person);
  else if (prev !== person) map.set(key, null);
}
