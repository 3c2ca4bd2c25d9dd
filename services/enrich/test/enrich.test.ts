import { enrichedEventSchema, type RawMessage } from '@edusage/contracts';
import {
  enrichEvent,
  engagedTime,
  localDate,
  canonicalUnresolvedIdentifier,
  NetworkMatcher,
  parseCidr,
  RosterIndex,
  type DistrictView,
} from '../src';
import { KEY, POS, raw, sampleRoster, sampleView } from './helpers';
import { createHash } from 'node:crypto';
import { documentedDedupKey, documentedEventId, documentedPseudonym } from './documented-ids';

const view = sampleView();
const enrich = (r: ReturnType<typeof raw>, v: DistrictView = view) => {
  const out = enrichEvent(r, POS, v, KEY, '2025-01-15T18:00:02.000Z');
  enrichedEventSchema.parse(out);
  return out;
};

describe('pseudonyms and dedup keys', () => {
  it('person_id is HMAC-SHA256(key, district|sourcedId) in 32 hex, the same for every identifier of a person', () => {
    const expected = documentedPseudonym(KEY, 'd1', 'stu1');
    expect(expected).toMatch(/^[0-9a-f]{32}$/);
    const a = enrich(raw({ user: { sourced_id: 'stu1' }, app: { domain: 'khanacademy.org' } }));
    const b = enrich(
      raw({
        user: { email: 'AMY.POND@district.org' },
        app: { domain: 'khanacademy.org' },
      }),
    );
    const c = enrich(
      raw({
        user: { username: 'Amy.Pond', device_id: 'cb-1' },
        app: { domain: 'khanacademy.org' },
      }),
    );
    const d = enrich(
      raw({
        user: { sourced_id: 'not-in-roster', email: 'amy.pond@district.org' },
        app: { app_id: 'ixl' },
      }),
    );
    for (const e of [a, b, c, d]) {
      expect(e.person_id).toBe(expected);
      expect(e.person_resolved).toBe(true);
      expect(e.role).toBe('student');
    }
  });

  it('unresolved people keep a stable pseudonym from their first identifier, normalized', () => {
    const a = enrich(
      raw({
        user: { email: ' New.Kid@District.org ' },
        app: { app_id: 'ixl' },
      }),
    );
    const b = enrich(
      raw({
        user: { email: 'new.kid@district.org', device_id: 'x' },
        app: { app_id: 'ixl' },
      }),
    );
    expect(a.person_resolved).toBe(false);
    expect(a.role).toBe('unknown');
    expect(a.person_id).toBe(b.person_id);
    expect(a.person_id).toBe(documentedPseudonym(KEY, 'd1', 'new.kid@district.org'));
    expect(canonicalUnresolvedIdentifier({ device_id: ' dev-9 ' })).toBe('dev-9');
    // Districts are separate namespaces, and a different key gives different ids.
    expect(documentedPseudonym(KEY, 'd2', 'new.kid@district.org')).not.toBe(a.person_id);
    expect(documentedPseudonym(KEY + 'x', 'd1', 'new.kid@district.org')).not.toBe(a.person_id);
  });

  it('ambiguous identifiers (two roster users) are never guessed', () => {
    const data = sampleRoster();
    data.users.get('tch1')!.username = 'Rory';
    const index = new RosterIndex('d1', 'v2', data, KEY);
    expect(index.findPerson({ username: 'rory' })).toBeNull();
    expect(index.findPerson({ email: 'rory@district.org' })?.sourcedId).toBe('stu2');
  });

  it('dedup_key is a 32-hex keyed digest of district, source, sender and event_id', () => {
    const e = enrich(
      raw({
        event_id: 'abc',
        user: { sourced_id: 'stu1' },
        app: { app_id: 'ixl' },
      }),
    );
    expect(e.dedup_key).toBe(documentedDedupKey(KEY, 'd1', 'agent', 'stu1', 'abc'));
    expect(e.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    expect(documentedDedupKey(KEY, 'd1', 'proxy', 'stu1', 'abc')).not.toBe(e.dedup_key);
    expect(documentedDedupKey(KEY, 'd1', 'agent', 'stu2', 'abc')).not.toBe(e.dedup_key);
    expect(documentedDedupKey(KEY + 'x', 'd1', 'agent', 'stu1', 'abc')).not.toBe(e.dedup_key);
  });
});

describe('event_id', () => {
  // What the Google Classroom adapter sends: an unkeyed digest of the person's email and an instant.
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const classroomId = `google-classroom:${sha256('amy.pond@district.org\u001f2025-01-15T18:00:00.000Z')}`;
  const sent = (eventId: string, user: RawMessage['event']['user'] = { email: 'amy.pond@district.org' }) =>
    raw({ event_id: eventId, source: 'import', user, app: { app_id: 'google-classroom' } });

  it('is a keyed digest of the sent id, never the sent id or an unkeyed hash of it', () => {
    const e = enrich(sent(classroomId));
    expect(e.event_id).toMatch(/^[0-9a-f]{32}$/);
    expect(e.event_id).not.toBe(classroomId);
    expect(e.event_id).toBe(documentedEventId(KEY, 'd1', 'import', classroomId));
    // Someone who can read usage_events and hashes a list of emails with each row's occurred_at
    // finds nothing: neither the sent id nor any plain SHA-256 of it or its parts is stored.
    const digest = classroomId.slice('google-classroom:'.length);
    for (const unkeyed of [classroomId, digest, sha256(classroomId), sha256(digest)]) {
      expect(JSON.stringify(e)).not.toContain(unkeyed);
      expect(JSON.stringify(e)).not.toContain(unkeyed.slice(0, 32));
      expect(unkeyed).not.toContain(e.event_id);
    }
  });

  it('is stable for the same sent id under the same key, and differs across keys, districts, sources and ids', () => {
    const a = enrich(sent('evt-1')).event_id;
    expect(enrich(sent('evt-1')).event_id).toBe(a);
    // The same sent id of another person keeps the same event_id (dedup_key tells them apart).
    const other = enrich(sent('evt-1', { sourced_id: 'stu2' }));
    expect(other.event_id).toBe(a);
    expect(other.dedup_key).not.toBe(enrich(sent('evt-1')).dedup_key);
    expect(enrich(sent('evt-2')).event_id).not.toBe(a);
    expect(enrichEvent(sent('evt-1'), POS, view, KEY + 'x', '2025-01-15T18:00:02.000Z').event_id).not.toBe(a);
    expect(documentedEventId(KEY, 'd2', 'import', 'evt-1')).not.toBe(a);
    expect(documentedEventId(KEY, 'd1', 'agent', 'evt-1')).not.toBe(a);
  });

  it('is not any other keyed id of the event: person_id, dedup_key or a pseudonym of the sent id', () => {
    const e = enrich(sent('stu1', { sourced_id: 'stu1' }));
    expect(e.event_id).not.toBe(e.person_id);
    expect(e.event_id).not.toBe(e.dedup_key);
    expect(e.event_id).not.toBe(documentedPseudonym(KEY, 'd1', 'stu1'));
  });
});

describe('local_date', () => {
  it.each([
    ['2025-01-16T03:30:00Z', 'America/Chicago', '2025-01-15'], // evening in Chicago, next day in UTC
    ['2025-01-16T06:00:00Z', 'America/Chicago', '2025-01-16'],
    ['2025-01-15T23:30:00-06:00', 'America/Chicago', '2025-01-15'],
    ['2025-01-15T23:30:00-06:00', 'America/New_York', '2025-01-16'],
    ['2025-03-09T05:59:00Z', 'America/Chicago', '2025-03-08'], // CST (UTC-6) before the spring-forward
    ['2025-03-10T04:59:00Z', 'America/Chicago', '2025-03-09'], // CDT (UTC-5) after it
    ['2025-03-10T05:00:00Z', 'America/Chicago', '2025-03-10'],
    ['2025-11-02T04:59:00Z', 'America/Chicago', '2025-11-01'], // CDT before the fall-back
    ['2025-11-03T05:59:00Z', 'America/Chicago', '2025-11-02'], // CST after it
    ['2025-11-03T06:00:00Z', 'America/Chicago', '2025-11-03'],
    ['2025-06-30T10:30:00Z', 'Pacific/Honolulu', '2025-06-30'],
    ['2025-06-30T09:30:00Z', 'Pacific/Honolulu', '2025-06-29'],
  ])('%s in %s is %s', (at, zone, day) => {
    expect(localDate(Date.parse(at), zone)).toBe(day);
  });

  it('uses the district zone of the view', () => {
    const e = enrich(
      raw({
        occurred_at: '2025-01-16T03:30:00Z',
        user: { sourced_id: 'stu1' },
        app: { app_id: 'ixl' },
      }),
    );
    expect(e.local_date).toBe('2025-01-15');
    const ny = enrich(
      raw({
        occurred_at: '2025-01-16T05:30:00Z',
        user: { sourced_id: 'stu1' },
        app: { app_id: 'ixl' },
      }),
      sampleView({ timeZone: 'America/New_York' }),
    );
    expect(ny.local_date).toBe('2025-01-16');
  });
});

describe('engaged time', () => {
  it.each([
    [{ type: 'page_view' as const }, 0, true],
    [{ type: 'heartbeat' as const }, 0, true],
    [{ type: 'use' as const }, 0, true],
    [{ type: 'use' as const, active_seconds: 299.6 }, 300, false],
    [{ type: 'use' as const, active_seconds: 0 }, 0, false],
    [{ type: 'page_view' as const, active_seconds: 12.2 }, 12, false],
    [{ type: 'login' as const }, 0, false],
    [{ type: 'logout' as const, active_seconds: 1800 }, 0, false],
  ])('%j → %d s, counts_minute %s', (ev, seconds, minute) => {
    expect(engagedTime(ev)).toEqual({
      explicit_seconds: seconds,
      counts_minute: minute,
    });
  });
});

describe('class and school attribution', () => {
  const at = '2025-01-15T18:00:00Z';
  it('infers the one active enrollment whose course uses the app', () => {
    const e = enrich(
      raw({
        occurred_at: at,
        user: { sourced_id: 'stu1' },
        app: { url: 'https://www.khanacademy.org/math' },
      }),
    );
    expect(e).toMatchObject({
      app_id: 'khan-academy',
      class_id: 'math1',
      class_attribution: 'inferred',
      school_id: 'sch1',
    });
    const r = enrich(
      raw({
        occurred_at: at,
        user: { sourced_id: 'stu1' },
        app: { domain: 'newsela.com' },
      }),
    );
    expect(r).toMatchObject({
      class_id: 'read1',
      class_attribution: 'inferred',
    });
  });

  it('inactive enrollments and enrollments outside their dates do not count', () => {
    // e6 (sci2, also khan-academy) is inactive: stu1 still has exactly one → inferred math1.
    // After math1's end date (2025-05-30) nothing is left → none, school = the only school.
    const e = enrich(
      raw({
        occurred_at: '2025-06-10T15:00:00Z',
        user: { sourced_id: 'stu1' },
        app: { app_id: 'khan-academy' },
      }),
    );
    expect(e).toMatchObject({
      class_id: null,
      class_attribution: 'none',
      school_id: 'sch1',
    });
    const before = enrich(
      raw({
        occurred_at: '2024-08-15T04:59:00Z',
        user: { sourced_id: 'stu1' },
        app: { app_id: 'khan-academy' },
      }),
    );
    expect(before).toMatchObject({
      local_date: '2024-08-14',
      class_attribution: 'none',
    });
    const first = enrich(
      raw({
        occurred_at: '2024-08-15T05:00:00Z',
        user: { sourced_id: 'stu1' },
        app: { app_id: 'khan-academy' },
      }),
    );
    expect(first).toMatchObject({
      local_date: '2024-08-15',
      class_id: 'math1',
      class_attribution: 'inferred',
    });
  });

  it('two candidate classes → none; a student in two schools gets no school unless the event or class says', () => {
    const e = enrich(
      raw({
        occurred_at: at,
        user: { sourced_id: 'stu2' },
        app: { app_id: 'khan-academy' },
      }),
    );
    expect(e).toMatchObject({
      class_id: null,
      class_attribution: 'none',
      school_id: null,
    });
    const s = enrich(
      raw({
        occurred_at: at,
        user: { sourced_id: 'stu2' },
        app: { app_id: 'khan-academy' },
        school_id: 'sch2',
      }),
    );
    expect(s.school_id).toBe('sch2');
  });

  it('explicit class when it exists in the roster (even for an app its course does not use)', () => {
    const e = enrich(
      raw({
        occurred_at: at,
        user: { sourced_id: 'stu2' },
        app: { app_id: 'youtube' },
        class_id: 'sci2',
      }),
    );
    expect(e).toMatchObject({
      class_id: 'sci2',
      class_attribution: 'explicit',
      school_id: 'sch2',
    });
  });

  it('an unknown explicit class or school is ignored and the rules go on', () => {
    const e = enrich(
      raw({
        occurred_at: at,
        user: { sourced_id: 'stu1' },
        app: { app_id: 'desmos' },
        class_id: 'nope',
        school_id: 'nope',
      }),
    );
    expect(e).toMatchObject({
      class_id: 'math1',
      class_attribution: 'inferred',
      school_id: 'sch1',
    });
  });

  it('event school_id wins over the class school', () => {
    const e = enrich(
      raw({
        occurred_at: at,
        user: { sourced_id: 'stu2' },
        app: { app_id: 'ixl' },
        class_id: 'sci2',
        school_id: 'sch1',
      }),
    );
    expect(e).toMatchObject({ class_id: 'sci2', school_id: 'sch1' });
  });

  it('unresolved people: no inferred class, explicit class still counts', () => {
    const e = enrich(
      raw({
        occurred_at: at,
        user: { username: 'visitor' },
        app: { app_id: 'khan-academy' },
      }),
    );
    expect(e).toMatchObject({
      person_resolved: false,
      class_attribution: 'none',
      school_id: null,
      role: 'unknown',
    });
    const x = enrich(
      raw({
        occurred_at: at,
        user: { username: 'visitor' },
        app: { app_id: 'khan-academy' },
        class_id: 'math1',
      }),
    );
    expect(x).toMatchObject({
      class_id: 'math1',
      class_attribution: 'explicit',
      school_id: 'sch1',
    });
  });

  it('a district without a roster: everything unresolved, nothing dropped', () => {
    const v = sampleView({ roster: null, districtId: 'd9' });
    const e = enrich(
      raw({
        district_id: 'd9',
        user: { sourced_id: 'stu1' },
        app: { domain: 'unknown-app.example.com' },
        class_id: 'math1',
        client_ip: '10.1.2.3',
      }),
      v,
    );
    expect(e).toMatchObject({
      person_resolved: false,
      role: 'unknown',
      class_attribution: 'none',
      school_id: null,
      app_id: 'domain:unknown-app.example.com',
      app_resolved: false,
      campus: 'unknown',
    });
  });
});

describe('campus', () => {
  it.each([
    ['10.1.2.3', 'on'],
    ['10.2.0.1', 'off'],
    ['::ffff:10.1.200.7', 'on'],
    ['2001:db8:1:ff::1', 'on'],
    ['2001:db8:2::1', 'off'],
    [undefined, 'unknown'],
  ])('%s → %s', (ip, campus) => {
    const e = enrich(
      raw({
        user: { sourced_id: 'stu1' },
        app: { app_id: 'ixl' },
        ...(ip ? { client_ip: ip } : {}),
      }),
    );
    expect(e.campus).toBe(campus);
  });

  it('CIDR parsing and longest-prefix school match', () => {
    const m = new NetworkMatcher(
      new Map([
        ['a', ['10.0.0.0/8']],
        ['b', ['10.5.0.0/16']],
      ]),
    );
    expect(m.match('10.5.1.1')).toBe('b');
    expect(m.match('10.6.1.1')).toBe('a');
    expect(m.match('11.0.0.1')).toBeNull();
    expect(parseCidr('192.168.1.77/24')).toMatchObject({
      family: 4,
      prefix: 24,
    });
    expect(() => parseCidr('10.0.0.0/33')).toThrow();
    expect(() => parseCidr('school')).toThrow();
  });
});

describe('privacy', () => {
  it('no name, email, username, device id or raw person id appears in the enriched event', () => {
    const identifiers = ['stu1', 'Amy.Pond@district.org', 'amy.pond', 'CHROMEBOOK-AMY-POND-01'];
    const resolved = enrich(
      raw({
        event_id: 'evt-7781',
        user: {
          sourced_id: 'stu1',
          email: 'Amy.Pond@district.org',
          username: 'amy.pond',
          device_id: 'CHROMEBOOK-AMY-POND-01',
        },
        app: { url: 'https://www.khanacademy.org/profile/amy.pond' },
        client_ip: '10.1.2.3',
      }),
    );
    const unresolved = enrich(
      raw({
        event_id: 'evt-7782',
        user: {
          sourced_id: 'S-998877',
          email: 'Clara.Oswald@district.org',
          username: 'clara.oswald',
          device_id: 'IPAD-CLARA',
        },
        app: {
          url: 'https://quiz.example.com/u/clara.oswald?email=Clara.Oswald@district.org',
        },
      }),
    );
    expect(resolved.person_resolved).toBe(true);
    expect(unresolved.person_resolved).toBe(false);
    const all = [
      ...identifiers,
      'S-998877',
      'Clara.Oswald@district.org',
      'clara.oswald',
      'IPAD-CLARA',
      'amy',
      'pond',
      'clara',
      'oswald',
    ];
    for (const e of [resolved, unresolved]) {
      const text = JSON.stringify(e).toLowerCase();
      for (const id of all) expect(text).not.toContain(id.toLowerCase());
    }
    expect(unresolved.app_domain).toBe('quiz.example.com');
  });
});
