import type { RosterData, UserRecord } from '../roster/model';
import { pseudonymize } from '../enrich/pseudonym';

/** A person named for erasure, and the pseudonyms their events and results can carry. */
export interface NamedPerson {
  /** As the operator typed it (printed back, never stored). */
  named: string;
  /** The roster sourcedId found for it, or null: taken as the identifier a departed person sent. */
  sourcedId: string | null;
  personIds: string[];
}

/**
 * The pseudonyms of one person (docs/ARCHITECTURE.md "Erasing a person"): what enrich writes for their
 * events (the roster sourcedId's pseudonym when the roster knew them; the pseudonym of the identifier
 * sent, `canonicalUnresolvedIdentifier`, when it did not: sourcedId as is, email and username
 * lower-cased) and what outcome imports write (the sourcedId's). A name the roster lacks is taken as
 * such an identifier, both as typed and lower-cased.
 */
export function namePerson(named: string, roster: RosterData | null, key: string, districtId: string): NamedPerson {
  const id = named.trim();
  if (id === '') throw new Error('--person: an empty id');
  const user = roster ? findUser(roster, id) : null;
  const identifiers = user
    ? [user.sourcedId.trim(), user.email?.trim().toLowerCase(), user.username?.trim().toLowerCase()]
    : [id, id.toLowerCase()];
  const personIds = [
    ...new Set(identifiers.filter((x): x is string => !!x).map((x) => pseudonymize(key, districtId, x))),
  ];
  return { named, sourcedId: user?.sourcedId ?? null, personIds };
}

/**
 * The roster user an id names: its sourcedId, else its email or username, else a state or local id
 * (`identifiers`, what assessment files carry); refused when two users share it.
 */
function findUser(roster: RosterData, id: string): UserRecord | null {
  const bySourcedId = roster.users.get(id);
  if (bySourcedId) return bySourcedId;
  const lower = id.toLowerCase();
  const fields = {
    email: (u: UserRecord) => u.email?.trim().toLowerCase() === lower,
    username: (u: UserRecord) => u.username?.trim().toLowerCase() === lower,
    'state or local id': (u: UserRecord) => (u.identifiers ?? []).some((x) => x.trim() === id),
  };
  for (const [field, matches] of Object.entries(fields)) {
    const found = [...roster.users.values()].filter(matches);
    if (found.length > 1)
      throw new Error(
        `--person ${id}: the roster has ${found.length} users with this ${field}; name them by sourcedId`,
      );
    if (found.length === 1) return found[0]!;
  }
  return null;
}
