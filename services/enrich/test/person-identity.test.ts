import path from 'node:path';
import {
  enrichEvent,
  loadRosterDir,
  namePerson,
  RosterIndex,
  senderPartitionKey,
  unresolvedPersonId,
  type DistrictView,
} from '../src';
import { documentedDedupKey, documentedPseudonym } from './documented-ids';
import { KEY, POS, raw, sampleRoster, sampleView } from './helpers';

const SDS_V21 = path.join(__dirname, 'samples/sds-v2.1');
const pid = (canonical: string) => documentedPseudonym(KEY, 'd1', canonical);
const enrich = (r: ReturnType<typeof raw>, view: DistrictView = sampleView()) => enrichEvent(r, POS, view, KEY, '');

describe('an email-only event finds the roster user whose username is that email (UPN)', () => {
  it("Microsoft's SDS v2.1 sample: students have no email, username = UPN", async () => {
    const { data } = await loadRosterDir(SDS_V21);
    expect(data.users.get('114001')).toMatchObject({ email: null, username: 'jcraig@classrmtest31.org' });
    const roster = new RosterIndex('d1', 'v1', data, KEY);
    expect(roster.findPerson({ email: 'JCraig@classrmtest31.org' })?.sourcedId).toBe('114001');
    // What Google Classroom or an xAPI mbox sends: only the email.
    const e = enrich(
      raw({ user: { email: 'jcraig@classrmtest31.org' }, app: { app_id: 'ixl' } }),
      sampleView({ roster }),
    );
    expect([e.person_resolved, e.person_id, e.role]).toEqual([true, pid('114001'), 'student']);
  });

  it('a username holding an email finds the user with that email', () => {
    const roster = new RosterIndex('d1', 'v1', sampleRoster(), KEY);
    expect(roster.findPerson({ username: 'Amy.Pond@District.org' })?.sourcedId).toBe('stu1');
    expect(roster.findPerson({ username: 'amy.pond' })?.sourcedId).toBe('stu1');
    expect(roster.findPerson({ email: 'amy.pond' })?.sourcedId).toBe('stu1'); // an email field that is a username
  });

  it("is ambiguous when the string is one user's email and another's username", () => {
    const data = sampleRoster();
    data.users.get('tch1')!.username = 'Amy.Pond@district.org'; // stu1's email
    const roster = new RosterIndex('d1', 'v1', data, KEY);
    expect(roster.findPerson({ email: 'amy.pond@district.org' })).toBeNull();
    expect(roster.findPerson({ username: 'amy.pond@district.org' })).toBeNull();
    // Another identifier of the event still resolves it.
    expect(roster.findPerson({ email: 'amy.pond@district.org', username: 'amy.pond' })?.sourcedId).toBe('stu1');
    // One user with the same email and username is not ambiguous.
    data.users.get('tch1')!.username = 'river.song@district.org';
    expect(new RosterIndex('d1', 'v2', data, KEY).findPerson({ email: 'river.song@district.org' })?.sourcedId).toBe(
      'tch1',
    );
  });

  it("erasure takes the same view: such a string names nobody, and a UPN user's email-only events are theirs", async () => {
    const shared = sampleRoster();
    shared.users.get('tch1')!.username = 'amy.pond@district.org';
    expect(() => namePerson('amy.pond@district.org', shared, KEY, 'd1')).toThrow(
      '--person amy.pond@district.org: the roster has 2 users with this email or username; name them by sourcedId',
    );
    const { data } = await loadRosterDir(SDS_V21);
    const ids = new Set(namePerson('114001', data, KEY, 'd1').personIds);
    for (const roster of [new RosterIndex('d1', 'v1', data, KEY), null]) {
      const e = enrich(
        raw({ user: { email: 'JCRAIG@classrmtest31.org' }, app: { app_id: 'ixl' } }),
        sampleView({ roster }),
      );
      expect(ids.has(e.person_id)).toBe(true);
    }
  });
});

describe('an unresolved device id never gets a roster person_id', () => {
  it('a device id equal to a student sourcedId gets a person_id of its own', () => {
    const e = enrich(raw({ event_id: 'dev-ev', user: { device_id: 'stu1' }, app: { app_id: 'ixl' } }));
    expect(e.person_resolved).toBe(false);
    expect(e.person_id).not.toBe(pid('stu1'));
    expect(e.person_id).toBe(pid('device:stu1'));
    // Partition key and duplicate key unchanged: copies sent before the upgrade stay duplicates.
    expect(e.dedup_key).toBe(documentedDedupKey(KEY, 'd1', 'agent', 'stu1', 'dev-ev'));
    expect(senderPartitionKey(KEY, 'd1', { device_id: 'stu1' })).toBe(`d1|${pid('stu1')}`);
  });

  it('enrich, reresolve and erasure share the rule (unresolvedPersonId)', () => {
    const unrostered = sampleView({ roster: null });
    for (const user of [{ sourced_id: ' x1 ' }, { email: 'A@B.org' }, { username: 'Kid' }, { device_id: ' cart-7 ' }])
      expect(enrich(raw({ user, app: { app_id: 'ixl' } }), unrostered).person_id).toBe(
        unresolvedPersonId(KEY, 'd1', user),
      );
    expect(unresolvedPersonId(KEY, 'd1', { device_id: 'cart-7', sourced_id: 's9' })).toBe(pid('s9'));
    // Erasing the student leaves the device; erasing the device (an id the roster lacks) takes its events.
    const roster = sampleRoster();
    const device = enrich(raw({ user: { device_id: 'stu1' }, app: { app_id: 'ixl' } })).person_id;
    expect(namePerson('stu1', roster, KEY, 'd1').personIds).not.toContain(device);
    const cart = enrich(raw({ user: { device_id: 'Cart-7' }, app: { app_id: 'ixl' } })).person_id;
    expect(namePerson('Cart-7', roster, KEY, 'd1').personIds).toContain(cart);
  });
});
