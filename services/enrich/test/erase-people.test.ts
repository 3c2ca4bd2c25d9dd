import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distinctPeople, enrichEvent, headersNamingUsers, namePerson, readPeopleFile, RosterIndex } from '../src';
import { documentedPseudonym } from './documented-ids';
import { KEY, raw, sampleRoster, sampleView } from './helpers';

describe('namePerson: the pseudonyms an erasure removes', () => {
  const roster = sampleRoster();
  const p = (id: string) => documentedPseudonym(KEY, 'd1', id);

  it('finds a roster person by sourcedId, email or username, and takes every pseudonym their events can carry', () => {
    const all = [p('stu1'), p('amy.pond@district.org'), p('amy.pond')].sort();
    for (const named of ['stu1', 'AMY.POND@district.org', ' amy.pond ']) {
      const person = namePerson(named, roster, KEY, 'd1');
      expect(person.sourcedId).toBe('stu1');
      expect([...person.personIds].sort()).toEqual(all);
    }
  });

  it('covers what enrich writes for them, resolved or not', () => {
    const ids = new Set(namePerson('stu1', roster, KEY, 'd1').personIds);
    const view = sampleView();
    const unrostered = sampleView({
      roster: new RosterIndex('d1', 'v0', { ...sampleRoster(), users: new Map() }, KEY),
    });
    for (const user of [{ sourced_id: 'stu1' }, { email: 'Amy.Pond@district.org' }, { username: 'AMY.POND' }])
      for (const v of [view, unrostered]) {
        const e = enrichEvent(
          raw({ user, app: { app_id: 'ixl' } }),
          { topic: 't', partition: 0, offset: '1' },
          v,
          KEY,
          '',
        );
        expect(ids.has(e.person_id)).toBe(true);
      }
  });

  it('finds a person by a state or local id the roster has (what assessment files carry)', () => {
    const withIds = sampleRoster();
    withIds.users.get('stu2')!.identifiers = ['ST-77', 'L-9'];
    const person = namePerson('L-9', withIds, KEY, 'd1');
    expect(person.sourcedId).toBe('stu2');
    expect(person.personIds).toContain(p('stu2'));
    withIds.users.get('stu1')!.identifiers = ['L-9'];
    expect(() => namePerson('L-9', withIds, KEY, 'd1')).toThrow('the roster has 2 users with this state or local id');
  });

  it('takes an id the roster lacks as the identifier a departed person sent: as typed, lower-cased, as a device id', () => {
    const person = namePerson('Left-2025@District.org', roster, KEY, 'd1');
    expect(person.sourcedId).toBeNull();
    expect(person.personIds.sort()).toEqual(
      [p('Left-2025@District.org'), p('left-2025@district.org'), p('device:Left-2025@District.org')].sort(),
    );
    expect(namePerson('gone', null, KEY, 'd1').personIds.sort()).toEqual([p('gone'), p('device:gone')].sort());
  });

  it('leaves out an identifier another roster user has too: its pseudonym is theirs as well', () => {
    const shared = sampleRoster();
    shared.users.get('stu2')!.username = 'amy.pond'; // stu1's username
    shared.users.get('tch1')!.sourcedId = 'amy.pond@district.org'; // stu1's email is a teacher's sourcedId
    shared.users.set('amy.pond@district.org', shared.users.get('tch1')!);
    const person = namePerson('stu1', shared, KEY, 'd1');
    expect(person.personIds).toEqual([p('stu1')]);
    expect(person.shared).toBe(2);
    // Not stu2's own id.
    expect(namePerson('STU2', shared, KEY, 'd1').personIds.sort()).toEqual([p('STU2'), p('device:STU2')].sort());
  });

  it('refuses an email two roster users share, and an empty id', () => {
    const shared = sampleRoster();
    shared.users.get('stu2')!.email = 'amy.pond@district.org';
    expect(() => namePerson('amy.pond@district.org', shared, KEY, 'd1')).toThrow(
      '--person amy.pond@district.org: the roster has 2 users with this email; name them by sourcedId',
    );
    expect(() => namePerson('  ', roster, KEY, 'd1')).toThrow('--person: an empty id');
  });
});

describe('readPeopleFile: a list of people to erase', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-people-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads one id a line, skipping blank lines and # comments, with where each was given', () => {
    const file = write(
      'left.txt',
      '\uFEFF# students who left in June\r\nstu-1\r\n\r\n  jane@district.org  \r\n"stu-3"\n',
    );
    expect(readPeopleFile(file)).toEqual({
      ids: [
        { id: 'stu-1', from: `${file}:2` },
        { id: 'jane@district.org', from: `${file}:4` },
        { id: 'stu-3', from: `${file}:5` },
      ],
      header: null,
    });
  });

  it("skips a one-column export's header line, and only as the first line", () => {
    for (const name of ['sourcedId', 'Email', '"student_id"', 'SIS-ID', 'username']) {
      const file = write('export.csv', `# June\n${name}\nstu-1\n`);
      expect(readPeopleFile(file)).toEqual({
        ids: [{ id: 'stu-1', from: `${file}:3` }],
        header: { id: name.replace(/"/g, ''), from: `${file}:2`, alone: false },
      });
    }
    const later = write('later.txt', 'stu-1\nemail\n');
    expect(readPeopleFile(later)).toEqual({
      ids: [
        { id: 'stu-1', from: `${later}:1` },
        { id: 'email', from: `${later}:2` },
      ],
      header: null,
    });
    // A header alone is not an error here: erasePeople decides, by the roster (below).
    const onlyHeader = write('only-header.csv', 'sourcedId\n');
    expect(readPeopleFile(onlyHeader)).toEqual({
      ids: [],
      header: { id: 'sourcedId', from: `${onlyHeader}:1`, alone: true },
    });
  });

  it('a header line that a roster user has as their id is a person after all (headersNamingUsers)', () => {
    const roster = sampleRoster();
    const user = roster.users.get('stu2')!;
    roster.users.set('stu2', { ...user, username: 'Email' });
    const headers = [
      { id: 'email', from: 'a.txt:1' },
      { id: 'sourcedId', from: 'b.txt:1' },
    ];
    expect(headersNamingUsers(roster, headers)).toEqual([{ id: 'email', from: 'a.txt:1' }]);
    expect(headersNamingUsers(null, headers)).toEqual([]);
    // Two users with that username: returned, so that namePerson refuses it by name.
    roster.users.set('tch1', { ...roster.users.get('tch1')!, username: 'email' });
    expect(headersNamingUsers(roster, headers)).toEqual([{ id: 'email', from: 'a.txt:1' }]);
    expect(() => namePerson('email', roster, KEY, 'd1', 'a.txt:1')).toThrow('a.txt:1 email: the roster has 2 users');
  });

  it('refuses a line that is not one id, and an empty list, naming the file and line', () => {
    for (const [line, why] of [
      ['stu-1,Jane,Doe', 'one id per line'],
      ['stu-1;Doe', 'one id per line'],
      ['stu-1  # June', 'one id per line'],
      ['"stu-1"x"', 'one id per line'],
      ['s\u0000t\u0000u', 'control characters in the line (is the file UTF-16? save it as UTF-8)'],
    ]) {
      const file = write('export.csv', `sourcedId\n${line}\n`);
      expect(() => readPeopleFile(file)).toThrow(`${file}:2: ${why}`);
    }
    const empty = write('empty.txt', '# nobody\n\n');
    expect(() => readPeopleFile(empty)).toThrow(`${empty}: no id in the file`);
  });

  it('names the line of an id the roster cannot tell apart', () => {
    const shared = sampleRoster();
    shared.users.get('stu2')!.email = 'amy.pond@district.org';
    expect(() => namePerson('amy.pond@district.org', shared, KEY, 'd1', 'left.txt:7')).toThrow(
      'left.txt:7 amy.pond@district.org: the roster has 2 users with this email; name them by sourcedId',
    );
  });
});

describe('distinctPeople: the people of several requests, each once', () => {
  it('merges lists of pseudonyms that share one (one person named twice), keeps the others apart', () => {
    const p = (...ids: string[]) => ({ named: '', sourcedId: null, personIds: ids, shared: 0 });
    const merged = distinctPeople([p('a-email'), p('b'), p('a-sid', 'a-email'), p('c', 'c-email'), p('a-sid')]);
    expect(merged.map((m) => m.personIds)).toEqual([['b'], ['c', 'c-email'], ['a-email', 'a-sid']]);
  });
});
