import type { Role } from '@edusage/contracts';
import { NetworkMatcher } from '../enrich/network';
import { pseudonymizeOnce } from '../enrich/pseudonym';
import type { EnrollmentRecord, RosterData, SessionRecord } from './model';

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

/**
 * Days a roster entity covers (YYYY-MM-DD), as OneRoster 1.1 defines them: `beginDate` is the first
 * day in, `endDate` the first day out (exclusive: a term ending 2021-02-01 hands over to one starting
 * that day). Null: open on that side.
 */
export interface DateSpan {
  beginDate: string | null;
  endDate: string | null;
}

export interface IndexedEnrollment extends DateSpan {
  classId: string;
  /** The enrollment's school (its own, else its class's) when that org is a school; else null. */
  schoolId: string | null;
  /** Apps the class's course uses (district course → app map); empty if none. */
  apps: readonly string[];
  /** Not `inactive`, and its class exists. Dates (`enrollmentSpan`) decide on which days. */
  active: boolean;
  /** The enrollment's own role (a teacher of one class may be enrolled as a student in another). */
  role: Role;
}

export interface IndexedPerson {
  sourcedId: string;
  /** Pseudonymous id, computed once at load. */
  personId: string;
  role: Role;
  grade: string | null;
  /** The user's own orgs of type school (users.csv orgSourcedIds, SDS roles): used on days no enrollment is active. */
  orgSchools: string[];
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
        orgSchools: [...new Set(u.orgSourcedIds.filter(isSchool))],
        enrollments: [],
      };
      this.people.set(u.sourcedId, person);
      if (u.email) addUnique(this.byEmail, u.email.trim().toLowerCase(), person);
      if (u.username) addUnique(this.byUsername, u.username.trim().toLowerCase(), person);
    }
    const terms = classTermSpans(data);
    for (const e of data.enrollments.values()) {
      const person = this.people.get(e.userSourcedId);
      if (!person) continue;
      const cls = data.classes.get(e.classSourcedId);
      const courseId = cls?.courseSourcedId ?? null;
      const school = e.schoolSourcedId ?? cls?.schoolSourcedId ?? null;
      person.enrollments.push({
        classId: e.classSourcedId,
        schoolId: isSchool(school) ? school : null,
        apps: courseId ? (data.courseApps.get(courseId) ?? []) : [],
        active: e.status !== 'inactive' && cls !== undefined,
        role: mapRole(e.role),
        ...enrollmentSpan(e, terms.get(e.classSourcedId)),
      });
    }
    this.networks = new NetworkMatcher(data.networks);
  }

  /**
   * Finds a person by sourcedId, then email, then username (each exact after normalization). An email,
   * or a username with an `@` (a UPN), is looked up as both: Google Classroom and xAPI mbox send only an
   * email, while SDS and many OneRoster exports leave it empty and put the UPN in username.
   */
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
      const p = this.byLogin(user.email);
      if (p) return p;
    }
    if (user.username) {
      const name = user.username.trim().toLowerCase();
      const p = name.includes('@') ? this.byLogin(name) : this.byUsername.get(name);
      if (p) return p;
    }
    return null;
  }

  /** The one person with this email or username; null when nobody has it or two people do (in either map). */
  private byLogin(value: string): IndexedPerson | null {
    const key = value.trim().toLowerCase();
    const byEmail = this.byEmail.get(key);
    const byUsername = this.byUsername.get(key);
    if (byEmail === null || byUsername === null) return null;
    if (byEmail && byUsername && byEmail !== byUsername) return null;
    return byEmail ?? byUsername ?? null;
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

const OPEN: DateSpan = { beginDate: null, endDate: null };

/** `day` (YYYY-MM-DD) is in the span: on or after its begin, before its (exclusive) end. */
export function spanContains(span: DateSpan, day: string): boolean {
  return (span.beginDate === null || span.beginDate <= day) && (span.endDate === null || day < span.endDate);
}

/** The enrollment counts on `day` (the event's local day, or the import's). */
export function enrollmentActiveOn(e: IndexedEnrollment, day: string): boolean {
  return e.active && spanContains(e, day);
}

/**
 * An enrollment's days: its own begin/end where given, else its class's term dates (real exports
 * mostly leave enrollment dates empty; the class's term says when it meets).
 */
export function enrollmentSpan(e: EnrollmentRecord, classTerm: DateSpan | undefined): DateSpan {
  return {
    beginDate: e.beginDate ?? classTerm?.beginDate ?? null,
    endDate: e.endDate ?? classTerm?.endDate ?? null,
  };
}

/** Each class's days from its term sessions (`termSourcedIds`): earliest start, latest end. */
export function classTermSpans(data: Pick<RosterData, 'classes' | 'sessions'>): Map<string, DateSpan> {
  const out = new Map<string, DateSpan>();
  for (const c of data.classes.values()) out.set(c.sourcedId, termSpan(c.termSourcedIds, data.sessions));
  return out;
}

/** Open on a side where a term is missing or leaves that date empty: its class may meet then. */
function termSpan(termIds: readonly string[], sessions: ReadonlyMap<string, SessionRecord>): DateSpan {
  const terms = termIds.map((id) => sessions.get(id));
  if (terms.length === 0) return OPEN;
  const starts: (string | null)[] = terms.map((t) => t?.startDate ?? null);
  const ends: (string | null)[] = terms.map((t) => t?.endDate ?? null);
  return {
    beginDate: starts.includes(null) ? null : ([...starts].sort()[0] ?? null),
    endDate: ends.includes(null) ? null : ([...ends].sort().at(-1) ?? null),
  };
}

/** The schools of the person's active enrollments that `keep` takes, each once, in roster order. */
export function enrollmentSchools(
  person: IndexedPerson,
  keep: (e: IndexedEnrollment) => boolean = () => true,
): string[] {
  const out: string[] = [];
  for (const e of person.enrollments)
    if (e.active && e.schoolId !== null && keep(e) && !out.includes(e.schoolId)) out.push(e.schoolId);
  return out;
}

/** The schools of the person's enrollments active on `day`, each once, in roster order. */
export function schoolsOn(person: IndexedPerson, day: string): string[] {
  return enrollmentSchools(person, (e) => spanContains(e, day));
}

/**
 * The person's school on `day`: the one school of their enrollments active that day (a student who
 * changed schools is at the new one from its first day); with none active, their one school org; else
 * null (two schools that day, or none known).
 */
export function schoolOn(person: IndexedPerson, day: string): string | null {
  const enrolled = schoolsOn(person, day);
  if (enrolled.length > 0) return enrolled.length === 1 ? enrolled[0]! : null;
  return person.orgSchools.length === 1 ? person.orgSchools[0]! : null;
}
