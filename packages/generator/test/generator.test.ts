import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  adaptCaliper,
  adaptSquidLine,
  ProxyMinuteFolder,
  makeNativeEventSchema,
  nativeEventSchema,
  reasonFromZod,
  validateNdjson,
} from '@edusage/contracts';
import {
  ROSTER_HEADERS,
  defaultStartDate,
  generateDistrict,
  schoolOfIp,
  writeDistrict,
  type GenerateOptions,
  type SampleDistrict,
  type SampleRecord,
  type TruthEvent,
} from '@edusage/generator';
import { main } from '../src/cli';

const FIXTURES = resolve(__dirname, '../../../../shared/fixtures');
const START = '2026-11-09'; // a Monday; the window includes a weekend
const OPTS: GenerateOptions = { seed: 42, startDate: START, days: 7, malformedRate: 0.03, duplicateRate: 0.01 };
/** A clock just after the window, for the native time bounds. */
const NOW = new Date('2026-11-17T12:00:00Z');

const tmpDirs: string[] = [];
async function tmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edusage-gen-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out.sort();
}

/**
 * Collects mismatches over many events and asserts once: a per-event expect() over tens of
 * thousands of events is slow in jest.
 */
class Checks {
  readonly failures: string[] = [];
  eq(actual: unknown, expected: unknown, what: string): void {
    if (JSON.stringify(actual) !== JSON.stringify(expected) && this.failures.length < 20) {
      this.failures.push(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    }
  }
  ok(cond: boolean, what: string): void {
    if (!cond && this.failures.length < 20) this.failures.push(what);
  }
}

const csv = (text: string): Record<string, string>[] => parse(text, { columns: true, skip_empty_lines: true });

let district: SampleDistrict;
let records: SampleRecord[];
let events: TruthEvent[];
beforeAll(() => {
  district = generateDistrict(OPTS);
  records = [...district.records()];
  events = records.flatMap((r) => r.events);
});

describe('determinism', () => {
  it('writes byte-identical files for the same seed and options', async () => {
    const [a, b] = [await tmp(), await tmp()];
    await writeDistrict(generateDistrict(OPTS), a);
    await writeDistrict(generateDistrict({ ...OPTS }), b);
    const fa = await listFiles(a);
    const fb = await listFiles(b);
    expect(fa.map((f) => relative(a, f))).toEqual(fb.map((f) => relative(b, f)));
    expect(fa.map((f) => relative(a, f))).toEqual(
      expect.arrayContaining([
        'oneroster/manifest.csv',
        'oneroster/users.csv',
        'course_apps.csv',
        'licenses.csv',
        'approvals.csv',
        'networks.json',
        'apps.json',
        'events/native.ndjson',
        'events/caliper.ndjson',
        'events/squid-access.log',
        'truth.ndjson',
        'summary.json',
      ]),
    );
    for (let i = 0; i < fa.length; i++) {
      expect((await readFile(fa[i]!)).equals(await readFile(fb[i]!))).toBe(true);
    }
  });

  it('gives different output for a different seed', () => {
    const other = generateDistrict({ ...OPTS, seed: 43 });
    expect(other.roster.users.map((u) => u.username)).not.toEqual(district.roster.users.map((u) => u.username));
    const firstLines = (d: SampleDistrict): string[] => {
      const out: string[] = [];
      for (const r of d.records()) if (out.push(r.text) >= 50) break;
      return out;
    };
    expect(firstLines(other)).not.toEqual(firstLines(district));
  });

  it('yields the same records on every call', () => {
    let i = 0;
    for (const r of district.records()) {
      expect(r.text).toBe(records[i]!.text);
      if (++i >= 2000) break;
    }
  });
});

describe('OneRoster 1.1 roster', () => {
  it('uses the exact OneRoster 1.1 headers (as in published 1.1 samples)', async () => {
    const dir = await tmp();
    const written = await writeDistrict(district, dir, { truth: false });
    const sample = join(FIXTURES, 'edfi-lms-toolkit/sample-in/OneRoster 1.1 Sample Data');
    for (const name of Object.keys(ROSTER_HEADERS) as Array<keyof typeof ROSTER_HEADERS>) {
      const header = readFileSync(written.roster[name], 'utf8').split('\n')[0]!;
      expect(header).toBe(ROSTER_HEADERS[name].join(','));
      const fixture = join(sample, `${name}.csv`);
      if (existsSync(fixture)) {
        // The sample adds vendor metadata.* columns to orgs; the standard columns are the same.
        const fixtureHeader = readFileSync(fixture, 'utf8')
          .split(/\r?\n/)[0]!
          .split(',')
          .filter((c) => !c.startsWith('metadata.'));
        expect(ROSTER_HEADERS[name]).toEqual(fixtureHeader);
      }
    }
    const manifest = csv(readFileSync(written.roster.manifest, 'utf8'));
    expect(manifest).toContainEqual({ propertyName: 'oneroster.version', value: '1.1' });
    for (const f of ['orgs', 'users', 'classes', 'courses', 'enrollments', 'academicSessions', 'demographics']) {
      expect(manifest).toContainEqual({ propertyName: `file.${f}`, value: 'bulk' });
    }
  });

  it('references only existing rows', async () => {
    const dir = await tmp();
    const w = await writeDistrict(district, dir, { truth: false });
    const read = (p: string): Record<string, string>[] => csv(readFileSync(p, 'utf8'));
    const orgs = read(w.roster.orgs);
    const users = read(w.roster.users);
    const classes = read(w.roster.classes);
    const courses = read(w.roster.courses);
    const enrollments = read(w.roster.enrollments);
    const terms = read(w.roster.academicSessions);
    const orgIds = new Set(orgs.map((o) => o.sourcedId));
    const schoolIds = new Set(orgs.filter((o) => o.type === 'school').map((o) => o.sourcedId));
    expect(orgs.filter((o) => o.type === 'district').map((o) => o.sourcedId)).toEqual(['d1']);
    expect(schoolIds.size).toBe(3);
    const userById = new Map(users.map((u) => [u.sourcedId!, u]));
    const classById = new Map(classes.map((c) => [c.sourcedId!, c]));
    const courseIds = new Set(courses.map((c) => c.sourcedId));
    expect(userById.size).toBe(users.length);
    expect(new Set(users.map((u) => u.username)).size).toBe(users.length);
    for (const u of users) {
      for (const o of u.orgSourcedIds!.split(',')) expect(orgIds.has(o)).toBe(true);
      expect(u.email).toBe(`${u.username}@d1.k12.example.org`);
      expect(['student', 'teacher']).toContain(u.role);
      if (u.role === 'student') expect(u.grades).toMatch(/^\d\d$/);
    }
    for (const c of classes) {
      expect(courseIds.has(c.courseSourcedId)).toBe(true);
      expect(schoolIds.has(c.schoolSourcedId!)).toBe(true);
      expect(terms.map((t) => t.sourcedId)).toContain(c.termSourcedIds);
    }
    for (const c of courses) expect(schoolIds.has(c.orgSourcedId!)).toBe(true);
    for (const e of enrollments) {
      const user = userById.get(e.userSourcedId!);
      const cls = classById.get(e.classSourcedId!);
      expect(user).toBeDefined();
      expect(cls).toBeDefined();
      expect(e.role).toBe(user!.role);
      expect(e.schoolSourcedId).toBe(cls!.schoolSourcedId);
      expect(user!.orgSourcedIds!.split(',')).toContain(e.schoolSourcedId);
      expect(e.beginDate! <= e.endDate!).toBe(true);
    }
    // Every class has studentsPerClass students (plus the odd visitor from another school) and a teacher.
    for (const c of classes) {
      const members = enrollments.filter((e) => e.classSourcedId === c.sourcedId);
      expect(members.filter((e) => e.role === 'teacher')).toHaveLength(1);
      expect(members.filter((e) => e.role === 'student').length).toBeGreaterThanOrEqual(25);
    }
    // A few students are enrolled at two schools.
    const dual = users.filter((u) => u.orgSourcedIds!.includes(','));
    expect(dual.length).toBeGreaterThan(0);
    expect(dual.length).toBeLessThan(users.length * 0.05);
    for (const u of dual) {
      const schools = new Set(enrollments.filter((e) => e.userSourcedId === u.sourcedId).map((e) => e.schoolSourcedId));
      expect(schools.size).toBe(2);
    }
    // course_apps, licences and networks name real courses, apps and schools.
    const appIds = new Set(district.apps.map((a) => a.app_id));
    for (const ca of read(w.courseApps)) {
      expect(courseIds.has(ca.courseSourcedId)).toBe(true);
      expect(appIds.has(ca.appId!)).toBe(true);
    }
    for (const l of read(w.licenses)) {
      expect(appIds.has(l.appId!)).toBe(true);
      expect(orgIds.has(l.orgSourcedId)).toBe(true);
      expect(l.seatsPurchased === 'unlimited' || Number(l.seatsPurchased) > 0).toBe(true);
      expect(Number(l.contractCost)).toBeGreaterThan(0);
      expect(l.renewalDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(Object.keys(JSON.parse(readFileSync(w.networks, 'utf8')) as object).sort()).toEqual([...schoolIds].sort());
  });
});

describe('native events', () => {
  const schema = makeNativeEventSchema(NOW);
  const native = (): SampleRecord[] => records.filter((r) => r.format === 'native');

  it('every valid native event passes nativeEventSchema and says what the truth says', () => {
    const valid = native().filter((r) => r.events[0]!.malformed === null);
    expect(valid.length).toBeGreaterThan(1000);
    const c = new Checks();
    for (const r of valid) {
      const json = JSON.parse(r.text) as Record<string, unknown>;
      const t = r.events[0]!;
      c.ok(nativeEventSchema.safeParse(json).success, `line ${r.line} fails nativeEventSchema`);
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        c.ok(false, `${r.text}: ${parsed.error.message}`);
        continue;
      }
      const ev = parsed.data;
      const at = `native line ${r.line}`;
      c.eq(ev.event_id, t.event_id, `${at} event_id`);
      c.eq(ev.occurred_at, t.occurred_at, `${at} occurred_at`);
      c.eq(Date.parse(ev.occurred_at), t.epoch_ms, `${at} epoch`);
      c.eq(ev.user, t.user, `${at} user`);
      c.eq(ev.client_ip, t.client_ip, `${at} client_ip`);
      c.eq(ev.active_seconds ?? null, t.active_seconds, `${at} active_seconds`);
      c.eq(ev.class_id ?? null, t.class_id, `${at} class_id`);
      c.eq(ev.type, t.type, `${at} type`);
      c.eq(ev.source, t.source, `${at} source`);
    }
    expect(c.failures).toEqual([]);
  });

  it('every malformed native event fails on the expected field', () => {
    const bad = native().filter((r) => r.events[0]!.malformed !== null);
    const reasons = new Set(bad.map((r) => r.events[0]!.malformed!.reason));
    expect([...reasons].sort()).toEqual([
      'future_timestamp',
      'missing_user',
      'negative_duration',
      'not_json',
      'wrong_type',
    ]);
    for (const r of bad) {
      const m = r.events[0]!.malformed!;
      if (m.reason === 'not_json') {
        expect(() => JSON.parse(r.text)).toThrow();
        continue;
      }
      const parsed = schema.safeParse(JSON.parse(r.text));
      expect(parsed.success).toBe(false);
      expect(reasonFromZod(parsed.error!).field).toBe(m.field);
    }
  });

  it('the ingest NDJSON adapter accepts exactly the valid lines', () => {
    const text = native()
      .map((r) => r.text)
      .join('\n');
    const result = validateNdjson(text, { districtId: 'd1', now: NOW });
    const badLines = native()
      .filter((r) => r.events[0]!.malformed !== null)
      .map((r) => r.line)
      .sort((a, b) => a - b);
    expect(result.rejects.map((x) => x.reason.line ?? x.index).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(badLines);
    expect(result.events).toHaveLength(native().length - badLines.length);
  });
});

describe('Caliper 1.2 envelopes', () => {
  it('valid events adapt to what the truth says; malformed ones are refused at the expected field', () => {
    const lines = records.filter((r) => r.format === 'caliper');
    expect(lines.length).toBeGreaterThan(50);
    const seen = new Set<string>();
    for (const r of lines) {
      const result = adaptCaliper(r.text, { districtId: 'd1', now: NOW });
      const good = r.events.filter((e) => e.malformed === null);
      expect(result.events).toHaveLength(good.length);
      result.events.forEach((ev, i) => {
        const t = good[i]!;
        expect(ev.event_id).toBe(t.event_id);
        expect(Date.parse(ev.occurred_at)).toBe(t.epoch_ms);
        expect(ev.user.sourced_id).toBe(t.user.sourced_id);
        expect(ev.type).toBe(t.type);
        expect(ev.active_seconds ?? null).toBe(t.active_seconds);
        expect(ev.class_id ?? null).toBe(t.class_id);
        expect(ev.app.domain).toBe(t.domain);
      });
      const bad = r.events.filter((e) => e.malformed !== null);
      expect(result.rejects).toHaveLength(bad.length);
      result.rejects.forEach((rej, i) => {
        const m = bad[i]!.malformed!;
        seen.add(m.reason);
        if (m.reason === 'not_json') expect(rej.reason.code).toBe('malformed_json');
        else expect(rej.reason.field).toBe(m.field);
      });
    }
    expect([...seen].sort()).toEqual([
      'future_timestamp',
      'missing_actor',
      'negative_duration',
      'not_json',
      'wrong_type',
    ]);
  });

  it('uses ToolUseEvent with MinutesOnTask, SessionEvent LoggedIn and NavigationEvent', () => {
    const kinds = new Set<string>();
    for (const r of records
      .filter((x) => x.format === 'caliper' && x.events.every((e) => e.malformed === null))
      .slice(0, 200)) {
      const env = JSON.parse(r.text) as {
        sensor: string;
        dataVersion: string;
        data: Array<{
          type: string;
          action: string;
          actor: { id: string };
          edApp: string;
          generated: { type: string; items: Array<{ metric: string }> };
        }>;
      };
      expect(env.dataVersion).toBe('http://purl.imsglobal.org/ctx/caliper/v1p2');
      for (const e of env.data) {
        kinds.add(`${e.type}/${e.action}`);
        expect(e.actor.id).toMatch(/^https:\/\/d1\.k12\.example\.org\/users\//);
        expect(e.edApp).toMatch(/^https:\/\/[a-z.]+\/$/);
        if (e.type === 'ToolUseEvent') {
          expect(e.generated.type).toBe('AggregateMeasureCollection');
          expect(e.generated.items[0]!.metric).toBe('MinutesOnTask');
        }
      }
    }
    expect([...kinds].sort()).toEqual(['NavigationEvent/NavigatedTo', 'SessionEvent/LoggedIn', 'ToolUseEvent/Used']);
  });
});

describe('Squid access log', () => {
  it('valid lines adapt to what the truth says; malformed ones are refused at the expected place', () => {
    const lines = records.filter((r) => r.format === 'squid');
    expect(lines.length).toBeGreaterThan(1000);
    const seen = new Set<string>();
    const c = new Checks();
    // One folder for the whole file, as the import command reads it.
    const folder = new ProxyMinuteFolder();
    const skips: Record<string, number> = {};
    for (const r of lines) {
      const at = `squid line ${r.line}`;
      const result = adaptSquidLine(r.text, r.line, { districtId: 'd1', now: NOW, folder });
      const t = r.events[0];
      if (!t) {
        // The truth says the line carries no event: it folds into an earlier event of its person ×
        // host × minute, or the request failed.
        skips[r.skip ?? 'none'] = (skips[r.skip ?? 'none'] ?? 0) + 1;
        c.eq([result.events.length, result.rejects.length], [0, 0], `${at} no event`);
        c.eq(result.skipped[0]?.reason, r.skip, `${at} skip reason`);
        continue;
      }
      if (t.malformed === null) {
        c.eq(result.rejects.length, 0, `${at} rejects`);
        c.eq(result.events.length, 1, `${at} events`);
        const ev = result.events[0];
        if (!ev) continue;
        c.eq(ev.type, t.type, `${at} type`);
        c.eq(ev.user.username, t.user.username, `${at} username`);
        c.eq(ev.client_ip, t.client_ip, `${at} client_ip`);
        c.eq(ev.app.domain, t.domain, `${at} domain`);
        c.eq(Date.parse(ev.occurred_at), t.epoch_ms, `${at} time`);
      } else {
        seen.add(t.malformed.reason);
        c.eq(result.events.length, 0, `${at} events`);
        c.eq(result.rejects.length, 1, `${at} rejects`);
        const reason = result.rejects[0]?.reason;
        if (!reason) continue;
        if (t.malformed.field === null) c.eq(reason.code, 'unparseable_line', `${at} code`);
        else if (t.malformed.reason === 'future_timestamp')
          c.ok(/future/.test(reason.message), `${at} ${reason.message}`);
        else c.eq(reason.field, t.malformed.field, `${at} field`);
      }
    }
    expect(c.failures).toEqual([]);
    expect([...seen].sort()).toEqual(['future_timestamp', 'garbage_line', 'missing_user']);
    // Tunnels and page assets of one person, host and minute do repeat, and some requests fail, so
    // the rules are exercised.
    expect(Object.keys(skips).sort()).toEqual(['proxy_failed', 'proxy_folded']);
    expect(skips.proxy_folded).toBeGreaterThan(100);
    expect(skips.proxy_failed).toBeGreaterThan(10);
    const types = new Set(lines.flatMap((r) => r.events.map((e) => e.type)));
    expect([...types].sort()).toEqual(['heartbeat', 'page_view']);
  });
});

describe('truth', () => {
  it('numbers events in order, one line per record, with consistent files and lines', () => {
    const c = new Checks();
    events.forEach((e, i) => c.eq(e.seq, i, 'seq'));
    const byFile = new Map<string, number>();
    for (const r of records) {
      const expected = (byFile.get(r.file) ?? 0) + 1;
      c.eq(r.line, expected, `${r.file} line`);
      byFile.set(r.file, expected);
      r.events.forEach((e, i) => {
        c.eq([e.line, e.index, e.file], [r.line, i, r.file], `event ${e.seq} position`);
      });
    }
    expect(c.failures).toEqual([]);
    const ids = events.filter((e) => e.event_id !== null && e.duplicate_of === null).map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('marks duplicates as exact re-sends of an earlier event', () => {
    const dups = records.filter((r) => r.events.length > 0 && r.events[0]!.duplicate_of !== null);
    expect(dups.length).toBeGreaterThan(5);
    for (const r of dups) {
      for (const e of r.events) {
        const orig = events[e.duplicate_of!]!;
        expect(orig.seq).toBeLessThan(e.seq);
        expect(orig.duplicate_of).toBeNull();
        expect(orig.malformed).toBeNull();
        expect(orig.event_id).toBe(e.event_id);
        expect(records.find((x) => x.file === orig.file && x.line === orig.line)!.text).toBe(r.text);
      }
    }
    expect(new Set(dups.map((r) => r.format))).toEqual(new Set(['native', 'caliper']));
  });

  it('places events in school hours on campus and in the evening off campus, in the local zone', () => {
    const users = new Map(district.roster.users.map((u) => [u.sourcedId, u]));
    const catalogDomains = district.apps.flatMap((a) => a.domains);
    const known = new Set(district.roster.users.flatMap((u) => [u.sourcedId, u.email, u.username]));
    const c = new Checks();
    for (const e of events) {
      if (e.malformed) continue;
      const at = `event ${e.seq}`;
      c.ok(e.local_date >= START && e.local_date <= '2026-11-15', `${at} date ${e.local_date}`);
      c.eq(e.occurred_at.slice(0, 10), e.local_date, `${at} local date`);
      c.ok(e.occurred_at.endsWith('-06:00'), `${at} offset ${e.occurred_at}`); // CST in November
      c.eq(Date.parse(e.occurred_at), e.epoch_ms, `${at} epoch`);
      const hour = Number(e.occurred_at.slice(11, 13));
      if (e.client_ip !== null) {
        c.eq(schoolOfIp(district.networks, e.client_ip), e.network_school_id, `${at} network`);
        c.eq(e.campus, e.network_school_id ? 'on' : 'off', `${at} campus`);
      } else {
        c.eq(e.campus, 'unknown', `${at} campus`);
      }
      if (e.campus === 'on') c.ok(hour >= 7 && hour < 16, `${at} on campus at ${e.occurred_at}`);
      if (e.campus === 'off' && e.person_sourced_id !== null)
        c.ok(hour >= 10 && hour < 23, `${at} off campus at ${e.occurred_at}`);
      const sent = e.user.sourced_id ?? e.user.email ?? e.user.username;
      if (e.person_sourced_id !== null) {
        const u = users.get(e.person_sourced_id);
        c.ok(u !== undefined, `${at} person ${e.person_sourced_id} not in roster`);
        if (!u) continue;
        c.eq(e.role, u.role, `${at} role`);
        c.ok([u.sourcedId, u.email, u.username].includes(sent!), `${at} identifier ${sent} is not ${u.sourcedId}'s`);
      } else {
        c.ok(!known.has(sent!), `${at} unresolved identifier ${sent} is in the roster`);
      }
      if (e.app_id === null) {
        c.ok(
          e.domain !== null && !catalogDomains.some((d) => e.domain === d || e.domain!.endsWith(`.${d}`)),
          `${at} unresolved domain ${e.domain} is in the catalog`,
        );
      }
    }
    expect(c.failures).toEqual([]);
    const weekend = events.filter((e) => e.local_date === '2026-11-14' && !e.malformed);
    expect(weekend.length).toBeGreaterThan(0);
    expect(weekend.every((e) => e.campus !== 'on')).toBe(true);
    expect(weekend.length).toBeLessThan(events.filter((e) => e.local_date === '2026-11-13').length / 3);
  });

  it('has unresolved people and apps, explicit class context, and evening use off campus', () => {
    const ok = events.filter((e) => !e.malformed && e.duplicate_of === null);
    expect(ok.filter((e) => e.person_sourced_id === null).length).toBeGreaterThan(10);
    expect(ok.filter((e) => e.app_id === null).length).toBeGreaterThan(10);
    expect(ok.filter((e) => e.class_id !== null).length).toBeGreaterThan(10);
    expect(ok.filter((e) => e.campus === 'off').length).toBeGreaterThan(100);
    expect(new Set(ok.map((e) => e.source))).toEqual(new Set(['agent', 'extension', 'caliper', 'proxy']));
  });

  it('has uneven adoption: some apps ten times more used than others, some only at some schools', () => {
    const byApp = new Map<string, number>();
    for (const e of events) {
      if (e.malformed || e.duplicate_of !== null || e.app_id === null) continue;
      byApp.set(e.app_id, (byApp.get(e.app_id) ?? 0) + 1);
    }
    const counts = [...byApp.values()].sort((a, b) => b - a);
    expect(counts[0]! / counts[counts.length - 1]!).toBeGreaterThanOrEqual(10);
    expect(byApp.get('google-docs')! / byApp.get('brainpop')!).toBeGreaterThanOrEqual(10);
    expect(byApp.has('nearpod')).toBe(false); // licensed, never used
    expect(district.licenses.some((l) => l.appId === 'nearpod')).toBe(true);
    const ixlSchools = new Set(
      events.filter((e) => e.app_id === 'ixl' && e.network_school_id).map((e) => e.network_school_id),
    );
    expect([...ixlSchools].sort()).toEqual(['sch-1', 'sch-3']);
  });

  it('makes class inference meaningful: unique and ambiguous course→app matches both occur', () => {
    const coursesByApp = new Map<string, Set<string>>();
    for (const ca of district.courseApps) {
      if (!coursesByApp.has(ca.appId)) coursesByApp.set(ca.appId, new Set());
      coursesByApp.get(ca.appId)!.add(ca.courseSourcedId);
    }
    const classCourse = new Map(district.roster.classes.map((c) => [c.sourcedId, c.courseSourcedId]));
    const enrollmentsOf = new Map<string, Array<{ cls: string; begin: string; end: string }>>();
    for (const e of district.roster.enrollments) {
      if (!enrollmentsOf.has(e.userSourcedId)) enrollmentsOf.set(e.userSourcedId, []);
      enrollmentsOf.get(e.userSourcedId)!.push({ cls: e.classSourcedId, begin: e.beginDate, end: e.endDate });
    }
    let unique = 0;
    let ambiguous = 0;
    let none = 0;
    for (const e of events) {
      if (e.malformed || !e.person_sourced_id || !e.app_id) continue;
      const courses = coursesByApp.get(e.app_id) ?? new Set();
      const n = (enrollmentsOf.get(e.person_sourced_id) ?? []).filter(
        (x) => x.begin <= e.local_date && e.local_date <= x.end && courses.has(classCourse.get(x.cls)!),
      ).length;
      if (n === 1) unique++;
      else if (n > 1) ambiguous++;
      else none++;
    }
    expect(unique).toBeGreaterThan(100);
    expect(ambiguous).toBeGreaterThan(100);
    expect(none).toBeGreaterThan(100);
  });
});

describe('time zones', () => {
  it('uses the zone offset of each instant across a DST change', () => {
    const d = generateDistrict({
      seed: 5,
      startDate: '2026-10-29',
      days: 6,
      schools: 1,
      classesPerSchool: 4,
      malformedRate: 0,
    });
    const offsets = new Map<string, Set<string>>();
    for (const e of d.events()) {
      if (!offsets.has(e.local_date)) offsets.set(e.local_date, new Set());
      offsets.get(e.local_date)!.add(e.occurred_at.slice(-6));
      expect(Date.parse(e.occurred_at)).toBe(e.epoch_ms);
    }
    expect([...offsets.get('2026-10-30')!]).toEqual(['-05:00']);
    expect([...offsets.get('2026-11-02')!]).toEqual(['-06:00']);
  });

  it('handles other zones (Asia/Kolkata, +05:30)', () => {
    const d = generateDistrict({
      seed: 5,
      startDate: '2026-11-02',
      days: 1,
      schools: 1,
      classesPerSchool: 4,
      timezone: 'Asia/Kolkata',
    });
    for (const e of d.events()) {
      if (e.malformed) continue;
      expect(e.occurred_at).toMatch(/\+05:30$/);
      expect(e.occurred_at.slice(0, 10)).toBe('2026-11-02');
    }
  });

  it('defaults the start to a Monday whose window ends before now', () => {
    expect(defaultStartDate('America/Chicago', 5, '2026-11-23T12:00:00Z')).toBe('2026-11-16');
    expect(defaultStartDate('America/Chicago', 5, '2026-11-24T03:00:00Z')).toBe('2026-11-16');
    const d = generateDistrict({ seed: 1, days: 3, schools: 1, classesPerSchool: 4, now: '2026-11-23T12:00:00Z' });
    expect(d.options.startDate).toBe('2026-11-16');
    expect(() => generateDistrict({ seed: 1, timezone: 'Mars/Olympus' })).toThrow(/time zone/);
  });
});

describe('CLI', () => {
  it('writes everything and prints a summary', async () => {
    const dir = await tmp();
    const chunks: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      chunks.push(String(c));
      return true;
    });
    try {
      await main([
        'node',
        'cli.js',
        '--seed',
        '9',
        '--out',
        dir,
        '--days',
        '2',
        '--schools',
        '2',
        '--start-date',
        START,
      ]);
    } finally {
      spy.mockRestore();
    }
    const text = chunks.join('');
    expect(text).toMatch(/events\/native\.ndjson\s+\d+/);
    expect(text).toMatch(/oneroster\/users\.csv\s+\d+/);
    expect(existsSync(join(dir, 'events/caliper.ndjson'))).toBe(true);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
      options: { seed: number; schools: number };
    };
    expect(summary.options).toMatchObject({ seed: 9, schools: 2 });
  });
});
