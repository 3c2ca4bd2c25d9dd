import { mapRole, pseudonymizeOnce, type RosterData, type UserRecord } from '@edusage/enrich';
import type { StudentKeys } from './result';

export type MatchOutcome =
  | { ok: true; personId: string }
  | { ok: false; reason: 'not_in_roster' }
  | { ok: false; reason: 'ambiguous'; message: string };

/**
 * Finds an assessment's student among the roster's students and gives their pseudonym, computed with
 * enrich's own function and key (`pseudonymize(PSEUDONYM_KEY, district, sourcedId)`), so results join
 * the events' person_id. Every key of the row is resolved: the sourcedId; each id as a sourcedId
 * (districts often use the SIS id as sourcedId) and as a roster `identifier` (state or local id); the
 * email. The row matches only when the keys found agree on one student; keys naming different students
 * (e.g. a student number equal to another student's sourcedId) make it ambiguous, never the first one's.
 * An id or email shared by two roster students matches nobody by itself (never guessed); beside a key
 * naming one of them it agrees with that key, beside a key naming somebody else it is a conflict.
 */
export class RosterMatcher {
  private readonly bySourcedId = new Map<string, UserRecord>();
  /** A key one student has → that student; a key several have → all of them. */
  private readonly byIdentifier = new Map<string, UserRecord | Set<UserRecord>>();
  private readonly byEmail = new Map<string, UserRecord | Set<UserRecord>>();

  constructor(
    private readonly districtId: string,
    roster: RosterData,
    private readonly pseudonymKey: string,
  ) {
    for (const u of roster.users.values()) {
      if (mapRole(u.role) !== 'student') continue;
      this.bySourcedId.set(u.sourcedId, u);
      for (const id of u.identifiers ?? []) addStudent(this.byIdentifier, id.trim(), u);
      if (u.email) addStudent(this.byEmail, u.email.trim().toLowerCase(), u);
    }
  }

  get students(): number {
    return this.bySourcedId.size;
  }

  match(keys: StudentKeys): MatchOutcome {
    // What each key names: one student (`definite`), several (`shared`: a set) or nobody.
    const definite = new Set<UserRecord>();
    const shared: Set<UserRecord>[] = [];
    const add = (hit: UserRecord | Set<UserRecord> | undefined) => {
      if (hit instanceof Set) shared.push(hit);
      else if (hit !== undefined) definite.add(hit);
    };
    if (keys.sourcedId) add(this.bySourcedId.get(keys.sourcedId.trim()));
    for (const raw of keys.ids) {
      const id = raw.trim();
      if (id === '') continue;
      add(this.bySourcedId.get(id));
      add(this.byIdentifier.get(id));
    }
    if (keys.email) add(this.byEmail.get(keys.email.trim().toLowerCase()));
    const [user] = definite;
    if (definite.size > 1 || (user && shared.some((users) => !users.has(user))))
      return { ok: false, reason: 'ambiguous', message: CONFLICT };
    if (user) return { ok: true, personId: pseudonymizeOnce(this.pseudonymKey, this.districtId, user.sourcedId) };
    if (shared.length > 0) return { ok: false, reason: 'ambiguous', message: SHARED };
    return { ok: false, reason: 'not_in_roster' };
  }
}

const CONFLICT = "the row's student ids / email name different roster students: ambiguous, not stored";
const SHARED = 'an id or email of the row belongs to several roster students: ambiguous, not stored';

function addStudent(map: Map<string, UserRecord | Set<UserRecord>>, key: string, user: UserRecord): void {
  if (key === '') return;
  const prev = map.get(key);
  if (prev === undefined) map.set(key, user);
  else if (prev instanceof Set) prev.add(user);
  else if (prev !== user) map.set(key, new Set([prev, user]));
}
