/**
 * RosterMatcher resolves every key a row carries (its sourcedId, each id as a sourcedId and as a roster
 * identifier, its email) and matches only when they all name one student: a later id pointing to
 * another student makes the row ambiguous, never silently the first student's.
 */
import { emptyRoster, pseudonymize, type RosterData, type UserRecord } from '@edusage/enrich';
import { RosterMatcher } from '../src';
import { student } from './support/roster';

const KEY = 'roster-match-test-key-0123456789';
const D = 'd1';

function matcher(users: UserRecord[]): RosterMatcher {
  const r: RosterData = emptyRoster();
  for (const u of users) r.users.set(u.sourcedId, u);
  return new RosterMatcher(D, r, KEY);
}

const person = (sourcedId: string) => ({ ok: true, personId: pseudonymize(KEY, D, sourcedId) });
const ambiguous = { ok: false, reason: 'ambiguous' };

describe('RosterMatcher', () => {
  // Numeric SIS keys as sourcedIds; student numbers and state ids as identifiers.
  const m = matcher([
    student('1001', { identifiers: ['S-1', 'N-1'], email: 'a@school.org' }), // A
    student('1002', { identifiers: ['S-2', '1001'], email: 'b@school.org' }), // B: student number 1001
    student('1003', { identifiers: ['SHARED'] }), // C
    student('1004', { identifiers: ['SHARED'] }), // D
  ]);

  it("a row whose local id is A's sourcedId and whose state id is B's is ambiguous, not A's", () => {
    // MAP: StudentID (student number) = 1001 = A's sourcedId, Student_StateID S-2 = B's.
    expect(m.match({ ids: ['1001', 'S-2'] })).toMatchObject(ambiguous);
    expect(m.match({ ids: ['S-2', '1001'] })).toMatchObject(ambiguous);
  });

  it("an id that is one student's sourcedId and another's identifier is ambiguous", () => {
    expect(m.match({ ids: ['1001'] })).toMatchObject(ambiguous);
  });

  it('the sourcedId, ids and email must agree', () => {
    expect(m.match({ sourcedId: '1003', ids: ['S-1'] })).toMatchObject(ambiguous);
    expect(m.match({ sourcedId: '1003', ids: [], email: 'B@School.org' })).toMatchObject(ambiguous);
    expect(m.match({ ids: ['S-1'], email: 'b@school.org' })).toMatchObject(ambiguous);
  });

  it('keys that all name one student match it; keys nobody has do not disagree', () => {
    expect(m.match({ sourcedId: '1001', ids: ['S-1', 'N-1'], email: ' A@school.org ' })).toEqual(person('1001'));
    expect(m.match({ ids: ['1002', 'S-2'] })).toEqual(person('1002'));
    expect(m.match({ ids: ['unknown', 'N-1'] })).toEqual(person('1001'));
    expect(m.match({ ids: ['unknown'], email: 'nobody@school.org' })).toEqual({ ok: false, reason: 'not_in_roster' });
  });

  it('an id two students share matches nobody alone, agrees with one of them, conflicts with a third', () => {
    expect(m.match({ ids: ['SHARED'] })).toMatchObject(ambiguous);
    expect(m.match({ sourcedId: '1003', ids: ['SHARED'] })).toEqual(person('1003'));
    expect(m.match({ ids: ['SHARED', 'S-1'] })).toMatchObject(ambiguous);
  });
});
