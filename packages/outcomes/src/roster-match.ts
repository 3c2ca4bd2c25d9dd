import { mapRole, pseudonymizeOnce, type RosterData, type UserRecord } from '@edusage/enrich';
import type { StudentKeys } from './result';

export type MatchOutcome = { ok: true; personId: string } | { ok: false; reason: 'not_in_roster' | 'ambiguous' };

/**
 * Finds an assessment's student among the roster's students and gives their pseudonym, computed with
 * enrich's own function and key (`pseudonymize(PSEUDONYM_KEY, district, sourcedId)`), so results join
 * the events' person_id. Tried in order: the sourcedId; each id as a sourcedId (districts often use the
 * SIS id as sourcedId); each id as a roster `identifier` (state or local id); the email. An id or email
 * shared by two roster students matches nobody (never guessed).
 */
export class RosterMatcher {
  private readonly bySourcedId = new Map<string, UserRecord>();
  private readonly byIdentifier = new Map<string, UserRecord | null>();
  private readonly byEmail = new Map<string, UserRecord | null>();

  constructor(
    private readonly districtId: string,
    roster: RosterData,
    private readonly pseudonymKey: string,
  ) {
    for (const u of roster.users.values()) {
      if (mapRole(u.role) !== 'student') continue;
      this.bySourcedId.set(u.sourcedId, u);
      for (const id of u.identifiers ?? []) addUnique(this.byIdentifier, id.trim(), u);
      if (u.email) addUnique(this.byEmail, u.email.trim().toLowerCase(), u);
    }
  }

  get students(): number {
    return this.bySourcedId.size;
  }

  match(keys: StudentKeys): MatchOutcome {
    let ambiguous = false;
    const found = (u: UserRecord | null | undefined): UserRecord | null => {
      if (u === null) ambiguous = true;
      return u ?? null;
    };
    const user =
      (keys.sourcedId ? found(this.bySourcedId.get(keys.sourcedId.trim())) : null) ??
      keys.ids.map((id) => found(this.bySourcedId.get(id.trim()))).find((u) => u !== null) ??
      keys.ids.map((id) => found(this.byIdentifier.get(id.trim()))).find((u) => u !== null) ??
      (keys.email ? found(this.byEmail.get(keys.email.trim().toLowerCase())) : null);
    if (user) return { ok: true, personId: pseudonymizeOnce(this.pseudonymKey, this.districtId, user.sourcedId) };
    return { ok: false, reason: ambiguous ? 'ambiguous' : 'not_in_roster' };
  }
}

function addUnique(map: Map<string, UserRecord | null>, key: string, user: UserRecord): void {
  if (key === '') return;
  const prev = map.get(key);
  if (prev === undefined) map.set(key, user);
  else if (prev !== user) map.set(key, null);
}
