import type { UserRef } from '@edusage/contracts';
import type { RosterData, UserRecord } from '../roster/model';
import { pseudonymize, unresolvedPersonCanonical } from '../enrich/pseudonym';

/** A person named for erasure, and the pseudonyms their events and results can carry. */
export interface NamedPerson {
  /** As the operator typed it (printed back, never stored). */
  named: string;
  /** The roster sourcedId found for it, or null: taken as the identifier a departed person sent. */
  sourcedId: string | null;
  personIds: string[];
  /** Identifiers of theirs left out because another roster user has them too (their pseudonyms are shared). */
  shared: number;
}

/**
 * The pseudonyms of one person (docs/ARCHITECTURE.md "Erasing a person"): what enrich writes for their
 * events (the roster sourcedId's pseudonym when the roster knew them; `unresolvedPersonId` of the
 * identifier sent when it did not: sourcedId as is, email and username lower-cased, a device id as
 * `device:<id>`) and what outcome imports write (the sourcedId's). An email or username another roster
 * user also has (as email, username or sourcedId) is left out: its pseudonym would be theirs too. A name
 * the roster lacks is taken as any identifier a sender could have used (not when its form is a roster
 * sourcedId).
 */
export function namePerson(
  named: string,
  roster: RosterData | null,
  key: string,
  districtId: string,
  /** Where the id was given, for errors: `--person` or `<file>:<line>`. */
  from = '--person',
): NamedPerson {
  const id = named.trim();
  if (id === '') throw new Error(`${from}: an empty id`);
  const label = `${from} ${id}`;
  const user = roster ? findUser(roster, id, label) : null;
  const others = roster ? identifiersOfOthers(roster, user) : new Set<string>();
  const candidates = sentAs(user, id).map(unresolvedPersonCanonical);
  const own = [...new Set(candidates.filter((x) => x !== user?.sourcedId.trim()))];
  const kept = own.filter((x) => !others.has(x));
  const identifiers = user ? [user.sourcedId.trim(), ...kept] : kept;
  if (identifiers.length === 0)
    throw new Error(`${label}: not in the roster, and only a roster user's own sourcedId in lower case`);
  return {
    named,
    sourcedId: user?.sourcedId ?? null,
    personIds: [...new Set(identifiers.map((x) => pseudonymize(key, districtId, x)))],
    shared: own.length - kept.length,
  };
}

/**
 * How events could have named the person while the roster did not know them: a roster user by their
 * email or username (by sourcedId they get the resolved id anyway); an id the roster lacks as any
 * identifier, device id included.
 */
function sentAs(user: UserRecord | null, id: string): UserRef[] {
  if (!user) return [{ sourced_id: id }, { email: id }, { username: id }, { device_id: id }];
  const refs: UserRef[] = [];
  if (user.email?.trim()) refs.push({ email: user.email });
  if (user.username?.trim()) refs.push({ username: user.username });
  return refs;
}

/**
 * The header lines of people files (`readPeopleFile`: a first line such as `email` or `sourcedId`) that
 * name a roster user after all (a user whose username is `email`): those are people to erase, not
 * headers. A line two users share is returned too, so that `namePerson` refuses it by name.
 */
export function headersNamingUsers<T extends { id: string }>(roster: RosterData | null, headers: readonly T[]): T[] {
  if (!roster) return [];
  return headers.filter((h) => {
    try {
      return findUser(roster, h.id.trim(), h.id) !== null;
    } catch {
      return true;
    }
  });
}

/** Every sourcedId, and every lower-cased email and username, of the roster's users but `except`. */
function identifiersOfOthers(roster: RosterData, except: UserRecord | null): Set<string> {
  const out = new Set<string>();
  for (const u of roster.users.values()) {
    if (u === except) continue;
    out.add(u.sourcedId.trim());
    for (const x of [u.email, u.username]) if (x?.trim()) out.add(x.trim().toLowerCase());
  }
  return out;
}

/**
 * The roster user an id names: its sourcedId, else its email or username (one lookup, as enrich's
 * `findPerson` takes an email that is another user's username as neither's), else a state or local id
 * (`identifiers`, what assessment files carry); refused when two users share it.
 */
function findUser(roster: RosterData, id: string, label: string): UserRecord | null {
  const bySourcedId = roster.users.get(id);
  if (bySourcedId) return bySourcedId;
  const lower = id.toLowerCase();
  const users = [...roster.users.values()];
  const byEmail = users.filter((u) => u.email?.trim().toLowerCase() === lower);
  const byUsername = users.filter((u) => u.username?.trim().toLowerCase() === lower);
  const loginField = byUsername.length === 0 ? 'email' : byEmail.length === 0 ? 'username' : 'email or username';
  return (
    onlyOne([...new Set([...byEmail, ...byUsername])], loginField, label) ??
    onlyOne(
      users.filter((u) => (u.identifiers ?? []).some((x) => x.trim() === id)),
      'state or local id',
      label,
    )
  );
}

function onlyOne(found: UserRecord[], field: string, label: string): UserRecord | null {
  if (found.length > 1)
    throw new Error(`${label}: the roster has ${found.length} users with this ${field}; name them by sourcedId`);
  return found[0] ?? null;
}

/**
 * One entry a person: lists of pseudonyms that share one are the same person (named by sourcedId and by
 * email in one command, in two requests, or before and after the roster knew them), so they are merged,
 * keeping the first entry's name, and their stored rows are counted once.
 */
export function distinctPeople(people: readonly NamedPerson[]): NamedPerson[] {
  const groups: { first: NamedPerson; ids: Set<string> }[] = [];
  for (const p of people) {
    const joined = { first: p, ids: new Set(p.personIds) };
    for (let i = groups.length - 1; i >= 0; i--)
      if ([...groups[i]!.ids].some((id) => joined.ids.has(id))) {
        for (const id of groups[i]!.ids) joined.ids.add(id);
        joined.first = groups[i]!.first;
        groups.splice(i, 1);
      }
    groups.push(joined);
  }
  return groups.map((g) => ({ ...g.first, personIds: [...g.ids].sort() }));
}
